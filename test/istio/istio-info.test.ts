/** Istio version and JWT-related settings read from istiod / istio-pilot pods. */
import { parse } from 'yaml';
import {
  imageTag,
  isAtLeast,
  istioInfoFromPods,
  ISTIOD_POD_SELECTOR,
  LEGACY_PILOT_POD_SELECTOR,
  parseIstioVersion,
  pickIstiodPod,
  workloadRevision,
} from '../../src/istio/istio-info.js';
import type { KubeObject, PodInfo } from '../../src/model/index.js';

const yaml = (text: string) => parse(text) as KubeObject;

describe('parseIstioVersion', () => {
  it.each([
    ['1.22.3', { major: 1, minor: 22, patch: 3 }],
    ['1.20.1-distroless', { major: 1, minor: 20, patch: 1 }],
    ['1.29.1-debug', { major: 1, minor: 29, patch: 1 }],
    ['1.0.6', { major: 1, minor: 0, patch: 6 }],
    ['v1.24.0', { major: 1, minor: 24, patch: 0 }],
    ['1.20.1-asm.1', { major: 1, minor: 20, patch: 1 }],
    ['1.22-dev', { major: 1, minor: 22, patch: 0 }],
    ['release-1.18-20230601-abcdef', { major: 1, minor: 18, patch: 0 }],
  ])('%s', (tag, expected) => {
    expect(parseIstioVersion(tag)).toEqual(expected);
  });

  it.each(['latest', 'master-latest-daily', 'sha256:0123abcd', '', 'stable', '1', '12345678.1'])('%s has no version', (tag) => {
    expect(parseIstioVersion(tag)).toBeUndefined();
  });

  it('compares on major and minor', () => {
    const v = { major: 1, minor: 6, patch: 0 };
    expect(isAtLeast(v, 1, 6)).toBe(true);
    expect(isAtLeast(v, 1, 7)).toBe(false);
    expect(isAtLeast({ major: 1, minor: 5, patch: 10 }, 1, 6)).toBe(false);
    expect(isAtLeast({ major: 2, minor: 0, patch: 0 }, 1, 30)).toBe(true);
  });
});

describe('imageTag', () => {
  it.each([
    ['docker.io/istio/pilot:1.22.3', '1.22.3'],
    ['gcr.io/istio-release/pilot:1.20.1-distroless', '1.20.1-distroless'],
    ['registry.local:5000/istio/pilot:1.21.0', '1.21.0'],
    ['registry.local:5000/istio/pilot:1.21.0@sha256:abc', '1.21.0'],
    ['docker.io/istio/pilot@sha256:0123456789abcdef', undefined],
    ['registry.local:5000/istio/pilot', undefined],
  ])('%s → %s', (image, tag) => {
    expect(imageTag(image)).toBe(tag);
  });
});

describe('istioInfoFromPods', () => {
  const istiod = yaml(`
apiVersion: v1
kind: Pod
metadata:
  name: istiod-5f4b8c9d7-x2x9z
  namespace: istio-system
  labels: {app: istiod, istio: pilot, istio.io/rev: default}
spec:
  containers:
  - name: discovery
    image: docker.io/istio/pilot:1.22.3
    env:
    - name: PILOT_JWT_ENABLE_REMOTE_JWKS
      value: hybrid
    - name: PILOT_JWT_PUB_KEY_REFRESH_INTERVAL
      value: 5m
    - name: JWKS_RESOLVER_INSECURE_SKIP_VERIFY
      value: "true"
    - name: BLOCKED_CIDRS_IN_JWKS_URIS
      value: 169.254.0.0/16
    - name: POD_NAME
      valueFrom: {fieldRef: {fieldPath: metadata.name}}
    - name: PILOT_TRACE_SAMPLING
      value: "1"
status: {phase: Running}
`);

  it('reads the tag, version and JWT env of the discovery container', () => {
    expect(istioInfoFromPods([istiod], 'istio-system')).toEqual({
      tag: '1.22.3',
      version: { major: 1, minor: 22, patch: 3 },
      rootNamespace: 'istio-system',
      istiodPods: ['istiod-5f4b8c9d7-x2x9z'],
      istiodPod: 'istiod-5f4b8c9d7-x2x9z',
      env: {
        PILOT_JWT_ENABLE_REMOTE_JWKS: 'hybrid',
        PILOT_JWT_PUB_KEY_REFRESH_INTERVAL: '5m',
        JWKS_RESOLVER_INSECURE_SKIP_VERIFY: 'true',
        BLOCKED_CIDRS_IN_JWKS_URIS: '169.254.0.0/16',
      },
    });
  });

  it('reads a pre-1.5 istio-pilot pod (container discovery next to istio-proxy)', () => {
    const pilot = yaml(`
metadata:
  name: istio-pilot-7b8d5d9c4-qq2lm
  labels: {app: pilot, istio: pilot}
spec:
  containers:
  - name: discovery
    image: docker.io/istio/pilot:1.0.6
  - name: istio-proxy
    image: docker.io/istio/proxyv2:1.0.6
`);
    const info = istioInfoFromPods([pilot], 'istio-system');
    expect(info).toMatchObject({ tag: '1.0.6', version: { major: 1, minor: 0, patch: 6 }, istiodPods: ['istio-pilot-7b8d5d9c4-qq2lm'], env: {} });
  });

  it('has no tag for a digest image, but may still learn the version from the operator label', () => {
    const digest = yaml(`
metadata:
  name: istiod-a
  labels: {app: istiod, operator.istio.io/version: 1.20.1}
spec:
  containers: [{name: discovery, image: "gcr.io/istio-release/pilot@sha256:0123456789abcdef"}]
`);
    const info = istioInfoFromPods([digest], 'istio-system');
    expect(info.tag).toBeUndefined();
    expect(info.version).toEqual({ major: 1, minor: 20, patch: 1 });
  });

  it('prefers the running pod during an upgrade', () => {
    const old = yaml(`
metadata: {name: istiod-old}
spec: {containers: [{name: discovery, image: "istio/pilot:1.21.0"}]}
status: {phase: Pending}
`);
    const info = istioInfoFromPods([old, istiod], 'istio-system');
    expect(info.tag).toBe('1.22.3');
    expect(info.istiodPods).toEqual(['istiod-old', 'istiod-5f4b8c9d7-x2x9z']);
  });

  it('knows nothing when there is no pod, no discovery container, or a tag like latest', () => {
    expect(istioInfoFromPods([], 'mesh-root')).toEqual({ rootNamespace: 'mesh-root', istiodPods: [], env: {} });
    const latest = yaml('metadata: {name: x}\nspec: {containers: [{name: discovery, image: "istio/pilot:latest"}]}');
    expect(istioInfoFromPods([latest], 'istio-system')).toMatchObject({ tag: 'latest' });
    expect(istioInfoFromPods([latest], 'istio-system').version).toBeUndefined();
    expect(istioInfoFromPods([{ spec: { containers: 'x' } } as unknown as KubeObject], 'istio-system').version).toBeUndefined();
  });

  it('exports the selectors collect.ts lists pods with', () => {
    expect(ISTIOD_POD_SELECTOR).toBe('app=istiod');
    expect(LEGACY_PILOT_POD_SELECTOR).toBe('istio=pilot');
  });
});

/** An istiod pod of a revision (canary upgrades: istiod-1-20-…, istiod-1-22-…, label istio.io/rev). */
function istiodPod(name: string, rev: string | undefined, image: string, phase: string, ready: boolean): KubeObject {
  return {
    metadata: { name, namespace: 'istio-system', labels: { app: 'istiod', ...(rev ? { 'istio.io/rev': rev } : {}) } },
    spec: { containers: [{ name: 'discovery', image }] },
    status: { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

function workloadPod(labels: Record<string, string> = {}, annotations: Record<string, string> = {}): PodInfo {
  return {
    name: 'httpbin-7d9c5b8f4-abcde', namespace: 'foo', labels: { app: 'httpbin', ...labels }, annotations,
    phase: 'Running', ready: true, containers: ['httpbin', 'istio-proxy'], initContainers: [], restarts: 0,
  };
}

describe('workloadRevision', () => {
  const ns = (labels: Record<string, string> = {}) => ({ name: 'foo', exists: true, labels });

  it('reads the pod label istio.io/rev first', () => {
    expect(workloadRevision([workloadPod({ 'istio.io/rev': '1-22' })], ns({ 'istio.io/rev': '1-20' }))).toBe('1-22');
  });

  it('then the revision field of sidecar.istio.io/status', () => {
    const status = '{"initContainers":["istio-init"],"containers":["istio-proxy"],"revision":"1-22"}';
    expect(workloadRevision([workloadPod({}, { 'sidecar.istio.io/status': status })], ns({ 'istio.io/rev': '1-20' }))).toBe('1-22');
  });

  it('then the namespace label, else "default"', () => {
    expect(workloadRevision([workloadPod({}, { 'sidecar.istio.io/status': 'not json' })], ns({ 'istio.io/rev': '1-20' }))).toBe('1-20');
    expect(workloadRevision([], ns({ 'istio-injection': 'enabled' }))).toBe('default');
    expect(workloadRevision([])).toBe('default');
  });
});

describe('pickIstiodPod / istioInfoFromPods with a revision (canary upgrade)', () => {
  const old = istiodPod('istiod-1-20-6b8f9c7d4-aaaaa', '1-20', 'docker.io/istio/pilot:1.20.8', 'Running', true);
  const starting = istiodPod('istiod-1-22-7c9d8e6f5-bbbbb', '1-22', 'docker.io/istio/pilot:1.22.3', 'Pending', false);
  const serving = istiodPod('istiod-1-22-7c9d8e6f5-ccccc', '1-22', 'docker.io/istio/pilot:1.22.3', 'Running', true);
  const notReady = istiodPod('istiod-1-22-7c9d8e6f5-ddddd', '1-22', 'docker.io/istio/pilot:1.22.3', 'Running', false);

  it('picks the Running, Ready pod of the workload revision, not the first one listed', () => {
    expect(pickIstiodPod([old, starting, notReady, serving], '1-22')?.metadata?.name).toBe('istiod-1-22-7c9d8e6f5-ccccc');
    expect(pickIstiodPod([old, starting], '1-22')?.metadata?.name).toBe('istiod-1-22-7c9d8e6f5-bbbbb');
  });

  it('takes the version of that revision and names the pod', () => {
    const info = istioInfoFromPods([old, starting, serving], 'istio-system', '1-22');
    expect(info).toMatchObject({ tag: '1.22.3', revision: '1-22', istiodPod: 'istiod-1-22-7c9d8e6f5-ccccc' });
    expect(istioInfoFromPods([old, starting, serving], 'istio-system', '1-20')).toMatchObject({ tag: '1.20.8', istiodPod: 'istiod-1-20-6b8f9c7d4-aaaaa' });
  });

  it('treats an istiod without istio.io/rev as the default revision', () => {
    const plain = istiodPod('istiod-5f4b8c9d7-x2x9z', undefined, 'docker.io/istio/pilot:1.21.2', 'Running', true);
    expect(istioInfoFromPods([old, plain], 'istio-system', 'default').istiodPod).toBe('istiod-5f4b8c9d7-x2x9z');
  });
});
