/**
 * Kubernetes objects → evidence model, and the data-plane mode derived from them
 * (workload-mode.ts has no test file of its own; it reads exactly these objects).
 */
import fc from 'fast-check';
import { parse } from 'yaml';
import { editDistance, nearNames, toNamespaceInfo, toPodInfo, toServiceInfo } from '../../src/istio/kube-objects.js';
import type { KubeObject, PodInfo } from '../../src/model/index.js';
import { dataPlaneMode } from '../../src/istio/workload-mode.js';

const yaml = (text: string) => parse(text) as KubeObject;

// The istio samples/httpbin Service, as `kubectl get svc httpbin -o yaml` shows it.
const httpbinService = yaml(`
apiVersion: v1
kind: Service
metadata:
  name: httpbin
  namespace: foo
  labels:
    app: httpbin
    service: httpbin
spec:
  type: ClusterIP
  selector:
    app: httpbin
  ports:
  - name: http
    port: 8000
    targetPort: 8080
    protocol: TCP
  - name: grpc
    port: 9000
    targetPort: grpc
    appProtocol: grpc
`);

const injectedPod = yaml(`
apiVersion: v1
kind: Pod
metadata:
  name: httpbin-7d9c5b8f4-abcde
  namespace: foo
  labels:
    app: httpbin
    version: v1
    security.istio.io/tlsMode: istio
  annotations:
    sidecar.istio.io/status: '{"initContainers":["istio-init"],"containers":["istio-proxy"]}'
spec:
  initContainers:
  - name: istio-init
    image: docker.io/istio/proxyv2:1.22.3
  containers:
  - name: httpbin
    image: docker.io/kong/httpbin
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.22.3
status:
  phase: Running
  conditions:
  - type: Initialized
    status: "True"
  - type: Ready
    status: "False"
  - type: ContainersReady
    status: "False"
  containerStatuses:
  - name: httpbin
    restartCount: 7
    ready: false
    state:
      waiting:
        reason: CrashLoopBackOff
        message: back-off 5m0s restarting failed container
  - name: istio-proxy
    restartCount: 1
    ready: true
    state:
      running:
        startedAt: "2026-11-29T09:00:00Z"
`);

describe('toServiceInfo', () => {
  it('reads name, selector, type and ports', () => {
    expect(toServiceInfo(httpbinService)).toEqual({
      name: 'httpbin',
      namespace: 'foo',
      labels: { app: 'httpbin', service: 'httpbin' },
      selector: { app: 'httpbin' },
      type: 'ClusterIP',
      ports: [
        { name: 'http', port: 8000, targetPort: 8080, protocol: 'TCP' },
        { name: 'grpc', port: 9000, targetPort: 'grpc', appProtocol: 'grpc' },
      ],
    });
  });

  it('has no selector for a selector-less or ExternalName Service, and skips ports without a number', () => {
    const svc = toServiceInfo(yaml(`
metadata: {name: ext, namespace: foo}
spec:
  type: ExternalName
  externalName: httpbin.org
  selector: {}
  ports: [{name: http, port: "80"}, "junk", {port: 443}]
`));
    expect(svc.selector).toBeUndefined();
    expect(svc.ports).toEqual([{ port: 443 }]);
  });

  it('survives any shape', () => {
    fc.assert(fc.property(fc.anything(), (value) => {
      toServiceInfo({ metadata: value, spec: value } as unknown as KubeObject);
      toServiceInfo(value as KubeObject ?? {});
    }));
  });
});

describe('toPodInfo', () => {
  it('reads readiness, containers, the waiting reason and the restart sum', () => {
    expect(toPodInfo(injectedPod)).toEqual({
      name: 'httpbin-7d9c5b8f4-abcde',
      namespace: 'foo',
      labels: { app: 'httpbin', version: 'v1', 'security.istio.io/tlsMode': 'istio' },
      annotations: { 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"]}' },
      phase: 'Running',
      ready: false,
      containers: ['httpbin', 'istio-proxy'],
      initContainers: ['istio-init'],
      waitingReason: 'CrashLoopBackOff',
      restarts: 8,
      lastRestartAt: '2026-11-29T09:00:00.000Z', // the restarted container's state.running.startedAt
    });
  });

  it('is ready only when the Ready condition is "True", and reports a stuck native sidecar', () => {
    const pod = toPodInfo(yaml(`
metadata: {name: p, namespace: foo, labels: {app: httpbin, version: 1}}
spec:
  initContainers: [{name: istio-proxy, restartPolicy: Always}]
  containers: [{name: httpbin}]
status:
  phase: Pending
  conditions: [{type: Ready, status: "True"}]
  initContainerStatuses:
  - name: istio-proxy
    restartCount: 3
    state: {waiting: {reason: ImagePullBackOff}}
`));
    expect(pod).toMatchObject({ ready: true, phase: 'Pending', initContainers: ['istio-proxy'], waitingReason: 'ImagePullBackOff', restarts: 3 });
    expect(pod.labels).toEqual({ app: 'httpbin', version: '1' });
  });

  it('defaults an empty object to an unknown, unready pod', () => {
    expect(toPodInfo({})).toEqual({
      name: '', namespace: '', labels: {}, annotations: {}, phase: 'Unknown', ready: false, containers: [], initContainers: [], restarts: 0,
    });
  });

  it('survives any shape', () => {
    fc.assert(fc.property(fc.anything(), fc.anything(), (spec, status) => {
      const pod = toPodInfo({ metadata: { name: 'x' }, spec, status } as unknown as KubeObject);
      expect(Number.isFinite(pod.restarts)).toBe(true);
    }));
  });
});

describe('toNamespaceInfo', () => {
  it('reads labels of an existing namespace and marks a missing one', () => {
    expect(toNamespaceInfo('foo', yaml('metadata: {name: foo, labels: {istio-injection: enabled}}'))).toEqual({
      name: 'foo', exists: true, labels: { 'istio-injection': 'enabled' },
    });
    expect(toNamespaceInfo('nope', undefined)).toEqual({ name: 'nope', exists: false, labels: {} });
  });
});

describe('nearNames', () => {
  const names = ['httpbin', 'httpbin-v2', 'productpage', 'reviews', 'ratings', 'details', 'sleep'];

  it('suggests typos and prefixes, best first', () => {
    expect(nearNames('htpbin', names)).toEqual(['httpbin']);
    // httpbin is a prefix of what was asked for: suggested after the closer typo.
    expect(nearNames('httpbin-v3', names)).toEqual(['httpbin-v2', 'httpbin']);
    expect(nearNames('HTTPBIN', names)).toEqual(['httpbin', 'httpbin-v2']);
    expect(nearNames('review', names)).toEqual(['reviews']);
    expect(nearNames('product', names)).toEqual(['productpage']);
  });

  it('returns at most three and nothing for unrelated names', () => {
    expect(nearNames('a', ['b', 'c', 'd', 'e'])).toHaveLength(3);
    expect(nearNames('kafka-broker', names)).toEqual([]);
    expect(nearNames('httpbin', ['httpbin'])).toEqual([]);
  });

  it('edit distance is a metric on small strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), (a, b) => {
      expect(editDistance(a, b)).toBe(editDistance(b, a));
      expect(editDistance(a, a)).toBe(0);
      expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length));
    }));
  });
});

describe('dataPlaneMode', () => {
  const ns = (labels: Record<string, string> = {}) => ({ name: 'foo', exists: true, labels });
  const pod = (overrides: Partial<PodInfo> = {}): PodInfo => ({ ...toPodInfo(injectedPod), ...overrides });
  const plain = (labels: Record<string, string> = { app: 'httpbin' }) => pod({ containers: ['httpbin'], initContainers: [], labels });
  const svc = toServiceInfo(httpbinService);

  it('is sidecar when a pod runs istio-proxy, as a container or a native sidecar', () => {
    expect(dataPlaneMode(ns(), [pod()])).toMatchObject({ mode: 'sidecar' });
    const native = dataPlaneMode(ns(), [pod({ containers: ['httpbin'], initContainers: ['istio-proxy'] })]);
    expect(native.mode).toBe('sidecar');
    expect(native.reason).toContain('native sidecar');
  });

  it('a sidecar wins over an ambient namespace label', () => {
    expect(dataPlaneMode(ns({ 'istio.io/dataplane-mode': 'ambient' }), [pod()]).mode).toBe('sidecar');
  });

  it('is ambient from the namespace label, with the waypoint from the Service before the namespace', () => {
    const n = ns({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'ns-waypoint' });
    expect(dataPlaneMode(n, [plain()])).toMatchObject({ mode: 'ambient', waypoint: 'ns-waypoint', waypointNamespace: 'foo' });
    const labelled = { ...svc, labels: { 'istio.io/use-waypoint': 'httpbin-wp', 'istio.io/use-waypoint-namespace': 'waypoints' } };
    const mode = dataPlaneMode(n, [plain()], labelled);
    expect(mode).toMatchObject({ mode: 'ambient', waypoint: 'httpbin-wp', waypointNamespace: 'waypoints' });
    expect(mode.reason).toContain('on the Service');
  });

  it('is ambient from a pod label alone, and has no waypoint when the label says none', () => {
    const mode = dataPlaneMode(ns({ 'istio.io/use-waypoint': 'none' }), [plain({ app: 'httpbin', 'istio.io/dataplane-mode': 'ambient' })], svc);
    expect(mode.mode).toBe('ambient');
    expect(mode.waypoint).toBeUndefined();
    expect(mode.reason).toContain('no waypoint');
  });

  it('a pod opting out of an ambient namespace is not ambient', () => {
    const mode = dataPlaneMode(ns({ 'istio.io/dataplane-mode': 'ambient' }), [plain({ 'istio.io/dataplane-mode': 'none' })]);
    expect(mode.mode).toBe('none');
  });

  it('is none without proxy or ambient label, and judges on namespace labels when there are no pods', () => {
    expect(dataPlaneMode(ns(), [plain()]).reason).toContain('no pod runs an istio-proxy container');
    expect(dataPlaneMode(ns({ 'istio-injection': 'enabled' }), []).mode).toBe('sidecar');
    expect(dataPlaneMode(ns({ 'istio.io/rev': 'canary' }), []).mode).toBe('sidecar');
    expect(dataPlaneMode(ns({ 'istio.io/dataplane-mode': 'ambient' }), []).mode).toBe('ambient');
    expect(dataPlaneMode(ns(), []).mode).toBe('none');
  });
});

describe('toPodInfo proxy args', () => {
  it('keeps the istio-proxy args, which tell a gateway (proxy router) from a sidecar', async () => {
    const { toPodInfo } = await import('../../src/istio/kube-objects.js');
    const gateway = toPodInfo({
      kind: 'Pod',
      metadata: { name: 'istio-ingressgateway-5c9d8b7f6-abcde', namespace: 'istio-system', labels: { istio: 'ingressgateway' } },
      spec: { containers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3', args: ['proxy', 'router', '--domain', '$(POD_NAMESPACE).svc.cluster.local'] }] },
    });
    expect(gateway.proxyArgs?.slice(0, 2)).toEqual(['proxy', 'router']);
    const app = toPodInfo({ kind: 'Pod', metadata: { name: 'a', namespace: 'foo' }, spec: { containers: [{ name: 'app' }] } });
    expect(app.proxyArgs).toBeUndefined();
  });
});
