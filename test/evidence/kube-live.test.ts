import { rejection } from '../support/rejection.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeNetworkError } from '../../src/evidence/guarded-fetch.js';
import { toKubeError } from '../../src/evidence/kube-errors.js';
import { LiveClusterSource } from '../../src/evidence/kube-live.js';
import { JwtcheckError } from '../../src/errors.js';
import type { KubeObject } from '../../src/model/index.js';
import { freePort } from '../support/free-port.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer, KubeFixture } from '../support/kube-api-server.js';

const service: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'httpbin', namespace: 'foo', labels: { app: 'httpbin' }, creationTimestamp: '2024-05-01T10:00:00Z' },
  spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000, targetPort: 80 }] },
};
const pod = (name: string, labels: Record<string, string>, namespace = 'foo'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: labels['app'] ?? 'app', image: 'x' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3' }] },
  status: { phase: 'Running', startTime: '2024-05-01T10:00:00Z' },
});
const requestAuthentication: KubeObject = {
  apiVersion: 'security.istio.io/v1beta1',
  kind: 'RequestAuthentication',
  metadata: { name: 'jwt-example', namespace: 'foo' },
  spec: { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: 'https://issuer.example' }] },
};
const proxyLog = ['line 1', 'line 2', 'line 3', 'line 4 [2024-05-01T10:00:00Z] "GET /headers" 401', ''].join('\n');

function fixture(extra: Partial<KubeFixture> = {}): KubeFixture {
  return {
    objects: [
      service,
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'sleep', namespace: 'foo' }, spec: {} },
      pod('httpbin-1', { app: 'httpbin', version: 'v1' }),
      pod('httpbin-2', { app: 'httpbin', version: 'v2' }),
      pod('sleep-1', { app: 'sleep' }),
      pod('istiod-1', { app: 'istiod' }, 'istio-system'),
      requestAuthentication,
    ],
    logs: { 'foo/httpbin-1/istio-proxy': proxyLog },
    ...extra,
  };
}

describe('LiveClusterSource against a fake API server', () => {
  let api: KubeApiServer;
  let source: LiveClusterSource;

  beforeAll(async () => {
    api = await startKubeApiServer(fixture());
  });
  afterAll(async () => {
    await api.close();
  });
  beforeEach(() => {
    api.setFixture(fixture());
    api.requests.length = 0;
    source = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml });
  });

  it('is named after the kube context', () => {
    expect(source.name).toBe('test');
  });

  it('reads a Service as a plain object shaped like YAML (no class instances, no Date)', async () => {
    const svc = await source.readService('foo', 'httpbin');
    expect(svc?.kind).toBe('Service');
    expect(svc?.apiVersion).toBe('v1');
    expect(svc?.metadata?.name).toBe('httpbin');
    expect(svc?.metadata?.labels).toEqual({ app: 'httpbin' });
    expect(svc?.metadata?.['creationTimestamp']).toBe('2024-05-01T10:00:00Z');
    expect(Object.getPrototypeOf(svc)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(svc?.metadata)).toBe(Object.prototype);
    expect(svc?.spec?.['selector']).toEqual({ app: 'httpbin' });
    expect(svc?.spec?.['ports']).toEqual([{ name: 'http', port: 8000, targetPort: 80 }]);
    expect(JSON.parse(JSON.stringify(svc))).toEqual(svc);
  });

  it('resolves undefined for a Service or Namespace that does not exist (404)', async () => {
    await expect(source.readService('foo', 'httbin')).resolves.toBeUndefined();
    await expect(source.readNamespace('nope')).resolves.toBeUndefined();
    const ns = await source.readNamespace('foo');
    expect(ns?.kind).toBe('Namespace');
    expect(ns?.metadata?.name).toBe('foo');
  });

  it('lists service names of the namespace only', async () => {
    expect((await source.listServiceNames('foo')).sort()).toEqual(['httpbin', 'sleep']);
    expect(await source.listServiceNames('istio-system')).toEqual([]);
  });

  it('lists pods with the label selector and the limit on the wire', async () => {
    const all = await source.listPods('foo', 'app=httpbin', 10);
    expect(all.map((p) => p.metadata?.name).sort()).toEqual(['httpbin-1', 'httpbin-2']);
    expect(all[0]?.kind).toBe('Pod');
    expect(all[0]?.status?.['startTime']).toBe('2024-05-01T10:00:00Z');
    const one = await source.listPods('foo', 'app=httpbin,version!=v1', 1);
    expect(one.map((p) => p.metadata?.name)).toEqual(['httpbin-2']);
    const limited = await source.listPods('foo', 'app=httpbin', 1);
    expect(limited).toHaveLength(1);
    const last = api.requests.at(-1);
    expect(last?.path).toBe('/api/v1/namespaces/foo/pods');
    expect(last?.query).toMatchObject({ labelSelector: 'app=httpbin', limit: '1' });
  });

  it('reads a bounded log tail, passing container, tailLines and limitBytes', async () => {
    const text = await source.readPodLog('foo', 'httpbin-1', 'istio-proxy', { tailLines: 2, limitBytes: 65536 });
    expect(text).toBe('line 3\nline 4 [2024-05-01T10:00:00Z] "GET /headers" 401\n');
    expect(api.requests.at(-1)?.query).toMatchObject({ container: 'istio-proxy', tailLines: '2', limitBytes: '65536' });
    const cut = await source.readPodLog('foo', 'httpbin-1', 'istio-proxy', { tailLines: 2, limitBytes: 4 });
    expect(cut).toBe('line');
  });

  it('says why a log cannot be read: unknown container (400) or pod gone (404)', async () => {
    const bad = await rejection(source.readPodLog('foo', 'httpbin-1', 'discovery', { tailLines: 5, limitBytes: 1000 }));
    expect(bad.code).toBe('unavailable');
    expect(bad.message).toContain('discovery');
    const gone = await rejection(source.readPodLog('foo', 'httpbin-9', 'istio-proxy', { tailLines: 5, limitBytes: 1000 }));
    expect(gone.code).toBe('not-found');
    expect(gone.message).toContain('httpbin-9');
  });

  it('falls back from v1 to v1beta1 when only v1beta1 is served, and returns plain items', async () => {
    api.setFixture(fixture({ servedGroups: ['security.istio.io/v1beta1'] }));
    const items = await source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'requestauthentications', 'foo');
    expect(items?.map((i) => i.metadata?.name)).toEqual(['jwt-example']);
    expect(items?.[0]?.apiVersion).toBe('security.istio.io/v1beta1');
    expect(items?.[0]?.spec?.['jwtRules']).toEqual([{ issuer: 'https://issuer.example' }]);
    expect(api.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
      '/apis/security.istio.io/v1/namespaces/foo/requestauthentications 404',
      '/apis/security.istio.io/v1beta1/namespaces/foo/requestauthentications 200',
    ]);
  });

  it('stops at the first served version', async () => {
    const items = await source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'requestauthentications', 'foo');
    expect(items?.[0]?.apiVersion).toBe('security.istio.io/v1');
    expect(api.requests).toHaveLength(1);
  });

  it('resolves undefined when the API group is not served at all (CRD not installed)', async () => {
    await expect(source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'policies', 'foo')).resolves.toBeUndefined();
    await expect(source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'meshpolicies')).resolves.toBeUndefined();
  });

  it('a served kind with nothing stored is an empty list, not undefined', async () => {
    await expect(source.listCustomObjects('security.istio.io', ['v1'], 'authorizationpolicies', 'foo')).resolves.toEqual([]);
  });

  it('403 on a core list names verb, resource, namespace and what to grant', async () => {
    api.setFixture(fixture({ forbidden: ['list pods foo'] }));
    const err = await rejection(source.listPods('foo', 'app=httpbin', 10));
    expect(err.code).toBe('forbidden');
    expect(err.message).toMatch(/^jwtcheck may not list pods in namespace foo: grant get\/list on it to the service account/);
    expect(err.message).toContain('system:serviceaccount:jwtcheck:jwtcheck');
    expect(err.message).toContain('manifests/ClusterRole');
    expect(err.message).not.toMatch(/HTTP-Code|at .*\.js/);
  });

  it('403 on a custom list is an error (not "not installed"), naming the qualified resource', async () => {
    api.setFixture(fixture({ forbidden: ['list requestauthentications.security.istio.io istio-system'] }));
    const err = await rejection(
      source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'requestauthentications', 'istio-system'),
    );
    expect(err.code).toBe('forbidden');
    expect(err.message).toContain('may not list requestauthentications.security.istio.io in namespace istio-system');
    // no fallback to v1beta1 after a refusal
    expect(api.requests).toHaveLength(1);
  });

  it('403 on a log read asks for get on pods/log; 403 on a named read is not "missing"', async () => {
    api.setFixture(fixture({ forbidden: ['get pods/log foo', 'get services foo'] }));
    const log = await rejection(source.readPodLog('foo', 'httpbin-1', 'istio-proxy', { tailLines: 5, limitBytes: 100 }));
    expect(log.message).toContain('may not get pods/log in namespace foo: grant get on it');
    const svc = await rejection(source.readService('foo', 'httpbin'));
    expect(svc.code).toBe('forbidden');
    expect(svc.message).toContain('may not get services in namespace foo');
  });

  it('500 becomes http-status with the status code', async () => {
    api.setFixture(fixture({ failing: [{ pattern: 'get services foo', status: 500 }] }));
    const err = await rejection(source.readService('foo', 'httpbin'));
    expect(err.code).toBe('http-status');
    expect(err.message).toContain('answered 500');
    expect(err.message).toContain(api.url);
  });

  it('a hanging API server becomes a timeout within the request timeout', async () => {
    api.setFixture(fixture({ failing: [{ pattern: 'list pods *', status: 'hang' }] }));
    const quick = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml, requestTimeoutMs: 300 });
    const started = Date.now();
    const err = await rejection(quick.listPods('foo', 'app=httpbin', 10));
    expect(Date.now() - started).toBeLessThan(3000);
    expect(err.code).toBe('timeout');
    expect(err.message).toContain(`The Kubernetes API at ${api.url} did not answer within 0.3 s`);
  });

  it('counts every request it sends', async () => {
    expect(source.requestCount()).toBe(0);
    await source.readService('foo', 'httpbin');
    await source.readService('foo', 'missing');
    await source.listPods('foo', 'app=httpbin', 5);
    await source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'requestauthentications', 'foo');
    await source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'policies', 'foo');
    expect(source.requestCount()).toBe(5);
    expect(api.requests).toHaveLength(5);
  });

  it('401 (credentials rejected) is forbidden and tells how to refresh the login', async () => {
    const noToken = api.kubeconfigYaml.replace(/ {2}user:\n\s+token: .*\n/, '  user: {}\n');
    expect(noToken).not.toContain('token:');
    const anonymous = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: noToken });
    const err = await rejection(anonymous.listPods('foo', 'app=httpbin', 5));
    expect(err.code).toBe('forbidden');
    expect(err.message).toContain('run kubectl get pods -n foo to refresh your login');
  });
});

describe('LiveClusterSource configuration and connection failures', () => {
  it('connection refused becomes unreachable, naming the server and the context', async () => {
    const port = await freePort();
    const api = await startKubeApiServer({ objects: [] });
    const yaml = api.kubeconfigYaml.replace(api.url, `http://127.0.0.1:${port}`);
    await api.close();
    const source = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: yaml });
    const err = await rejection(source.readService('foo', 'httpbin'));
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain(`http://127.0.0.1:${port}`);
    expect(err.message).toContain('kube context "test"');
    expect(err.message).toContain('refused');
  });

  it('an unknown --context lists the contexts there are', () => {
    const api = { kubeconfigYaml: 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: { server: "https://a.example:6443" }\nusers:\n- name: u\n  user: { token: t }\ncontexts:\n- name: a\n  context: { cluster: c, user: u }\n- name: b\n  context: { cluster: c, user: u }\ncurrent-context: a\n' };
    let caught: unknown;
    try {
      LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml, context: 'x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(JwtcheckError);
    expect((caught as JwtcheckError).code).toBe('config');
    expect((caught as JwtcheckError).message).toBe('No context "x" in your kubeconfig; contexts: a, b.');
    expect(LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml, context: 'b' }).name).toBe('b');
  });

  it('honours KUBECONFIG like kubectl, and a kubeconfig path', async () => {
    const api = await startKubeApiServer(fixture());
    const dir = mkdtempSync(join(tmpdir(), 'jwtcheck-kube-'));
    const saved = process.env['KUBECONFIG'];
    try {
      const file = api.writeKubeconfig(dir);
      process.env['KUBECONFIG'] = file;
      const fromEnv = LiveClusterSource.fromKubeconfig();
      expect(fromEnv.name).toBe('test');
      expect((await fromEnv.readService('foo', 'httpbin'))?.metadata?.name).toBe('httpbin');
      delete process.env['KUBECONFIG'];
      const fromPath = LiveClusterSource.fromKubeconfig({ kubeconfigPath: file });
      expect(await fromPath.listServiceNames('foo')).toContain('httpbin');
    } finally {
      if (saved === undefined) delete process.env['KUBECONFIG'];
      else process.env['KUBECONFIG'] = saved;
      rmSync(dir, { recursive: true, force: true });
      await api.close();
    }
  });

  it('a missing kubeconfig file is a config error naming the path', () => {
    let caught: unknown;
    try {
      LiveClusterSource.fromKubeconfig({ kubeconfigPath: '/nonexistent/kubeconfig' });
    } catch (err) {
      caught = err;
    }
    expect((caught as JwtcheckError).code).toBe('config');
    expect((caught as JwtcheckError).message).toContain('/nonexistent/kubeconfig');
  });
});

describe('network failures are recognised alike for the Kubernetes API and issuer URLs', () => {
  // undici's shape: TypeError('fetch failed') with the coded system error as cause.
  const fetchFailed = (code: string): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
  const endpoint = { server: 'https://10.0.0.1:6443', context: 'kind-test', timeoutMs: 5000 };
  const call = { verb: 'list' as const, resource: 'pods', namespace: 'foo' };

  it('an untrusted certificate (CERT_SIGNATURE_FAILURE too) points each reader at its own trust setting', () => {
    const kube = toKubeError(fetchFailed('CERT_SIGNATURE_FAILURE'), call, endpoint);
    expect(kube.code).toBe('unreachable');
    expect(kube.message).toContain("the server's certificate is not trusted (CERT_SIGNATURE_FAILURE)");
    expect(kube.message).toContain('certificate-authority-data');
    const issuer = describeNetworkError(fetchFailed('CERT_SIGNATURE_FAILURE'), new URL('https://idp.example/certs'));
    expect(issuer.code).toBe('unreachable');
    expect(issuer.message).toContain('the certificate is not trusted (CERT_SIGNATURE_FAILURE)');
    expect(issuer.message).toContain('NODE_EXTRA_CA_CERTS');
  });

  it('EAI_NONAME is a DNS failure for both', () => {
    expect(toKubeError(fetchFailed('EAI_NONAME'), call, endpoint).message).toContain('the server name does not resolve (EAI_NONAME)');
    expect(describeNetworkError(fetchFailed('EAI_NONAME'), new URL('https://idp.example/')).message).toContain(
      'the host name idp.example does not resolve (DNS EAI_NONAME)',
    );
  });
});
