/**
 * isAllowedByClusterRole against manifests/clusterrole.yaml: hand-written requests shaped like the
 * fake API server records them, and then the real thing: every ClusterSource read made with the live
 * Kubernetes client against the fake API server, each recorded request checked against the role.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { explainClusterRoleDecision, isAllowedByClusterRole } from '../support/rbac-rules.js';
import type { ClusterRoleLike } from '../support/rbac-rules.js';
import { LiveClusterSource } from '../../src/evidence/kube-live.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer, RecordedKubeRequest } from '../support/kube-api-server.js';

const role = parse(readFileSync(join(process.cwd(), 'manifests/clusterrole.yaml'), 'utf8')) as ClusterRoleLike;

function recorded(method: string, path: string, verb: RecordedKubeRequest['verb'], resource: string, apiGroup = '', namespace?: string): RecordedKubeRequest {
  return { method, path, query: {}, verb, resource, apiGroup, ...(namespace === undefined ? {} : { namespace }), status: 200, bytes: 100 };
}

describe('isAllowedByClusterRole with the manifests ClusterRole', () => {
  it.each([
    ['GET', '/api/v1/namespaces/foo/services/httpbin', 'get', 'services', '', 'foo'],
    ['GET', '/api/v1/namespaces/foo/services?limit=500', 'list', 'services', '', 'foo'],
    ['GET', '/api/v1/namespaces/foo', 'get', 'namespaces', '', 'foo'],
    ['GET', '/api/v1/namespaces/foo/pods?labelSelector=app%3Dhttpbin', 'list', 'pods', '', 'foo'],
    ['GET', '/api/v1/namespaces/istio-system/pods?labelSelector=app%3Distiod', 'list', 'pods', '', 'istio-system'],
    ['GET', '/api/v1/namespaces/foo/pods/httpbin-1/log?container=istio-proxy&tailLines=500', 'get', 'pods/log', '', 'foo'],
    ['GET', '/api/v1/namespaces/istio-system/pods/istiod-7d4c9/log?container=discovery', 'get', 'pods/log', '', 'istio-system'],
    ['GET', '/apis/security.istio.io/v1/namespaces/istio-system/requestauthentications', 'list', 'requestauthentications.security.istio.io', 'security.istio.io', 'istio-system'],
    ['GET', '/apis/security.istio.io/v1beta1/namespaces/foo/authorizationpolicies', 'list', 'authorizationpolicies.security.istio.io', 'security.istio.io', 'foo'],
    ['GET', '/apis/authentication.istio.io/v1alpha1/namespaces/foo/policies', 'list', 'policies.authentication.istio.io', 'authentication.istio.io', 'foo'],
    ['GET', '/apis/authentication.istio.io/v1alpha1/meshpolicies', 'list', 'meshpolicies.authentication.istio.io', 'authentication.istio.io', undefined],
  ] as const)('allows %s %s', (method, path, verb, resource, group, namespace) => {
    expect(isAllowedByClusterRole(recorded(method, path, verb, resource, group, namespace), role)).toBe(true);
  });

  it.each([
    ['reading a Secret', 'GET', '/api/v1/namespaces/foo/secrets/db', 'get', 'secrets', ''],
    ['listing ConfigMaps', 'GET', '/api/v1/namespaces/foo/configmaps', 'list', 'configmaps', ''],
    ['getting one pod (only list is granted)', 'GET', '/api/v1/namespaces/foo/pods/httpbin-1', 'get', 'pods', ''],
    ['listing namespaces (only get is granted)', 'GET', '/api/v1/namespaces', 'list', 'namespaces', ''],
    ['watching pods', 'GET', '/api/v1/namespaces/foo/pods?watch=true', 'watch', 'pods', ''],
    ['exec into a pod', 'POST', '/api/v1/namespaces/foo/pods/httpbin-1/exec', 'create', 'pods/exec', ''],
    ['deleting a pod', 'DELETE', '/api/v1/namespaces/foo/pods/httpbin-1', 'delete', 'pods', ''],
    ['patching a Service', 'PATCH', '/api/v1/namespaces/foo/services/httpbin', 'patch', 'services', ''],
    ['creating a RequestAuthentication', 'POST', '/apis/security.istio.io/v1/namespaces/foo/requestauthentications', 'create', 'requestauthentications.security.istio.io', 'security.istio.io'],
    ['getting one RequestAuthentication (only list is granted)', 'GET', '/apis/security.istio.io/v1/namespaces/foo/requestauthentications/jwt', 'get', 'requestauthentications.security.istio.io', 'security.istio.io'],
    ['listing PeerAuthentications', 'GET', '/apis/security.istio.io/v1/namespaces/foo/peerauthentications', 'list', 'peerauthentications.security.istio.io', 'security.istio.io'],
    ['the same plural in another group', 'GET', '/apis/networking.istio.io/v1/namespaces/foo/policies', 'list', 'policies.networking.istio.io', 'networking.istio.io'],
    ['a non-discovery non-resource URL', 'GET', '/metrics', 'get', '', ''],
  ] as const)('refuses %s', (_, method, path, verb, resource, group) => {
    const request = recorded(method, path, verb as RecordedKubeRequest['verb'], resource, group);
    expect(isAllowedByClusterRole(request, role)).toBe(false);
    expect(explainClusterRoleDecision(request, role).reason).toMatch(/no rule allows/);
  });

  it('allows discovery paths through the built-in system:discovery role, unless told not to', () => {
    const version = recorded('GET', '/version', 'get', '');
    expect(isAllowedByClusterRole(version, role)).toBe(true);
    expect(explainClusterRoleDecision(version, role).reason).toContain('system:discovery');
    expect(isAllowedByClusterRole(recorded('GET', '/apis/security.istio.io/v1', 'get', ''), role)).toBe(true);
    expect(isAllowedByClusterRole(version, role, { includeDefaultDiscovery: false })).toBe(false);
  });

  it('matches like the API server: wildcards, subresource wildcards, resourceNames, nonResourceURLs', () => {
    const log = recorded('GET', '/api/v1/namespaces/foo/pods/p1/log', 'get', 'pods/log', '', 'foo');
    expect(isAllowedByClusterRole(log, { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] })).toBe(false);
    expect(isAllowedByClusterRole(log, { rules: [{ apiGroups: [''], resources: ['*/log'], verbs: ['get'] }] })).toBe(true);
    expect(isAllowedByClusterRole(log, { rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] })).toBe(true);
    expect(isAllowedByClusterRole(log, { rules: [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'], resourceNames: ['p2'] }] })).toBe(false);
    expect(isAllowedByClusterRole(log, { rules: [{ apiGroups: [''], resources: ['pods/log'], verbs: ['get'], resourceNames: ['p1'] }] })).toBe(true);
    const list = recorded('GET', '/api/v1/namespaces/foo/pods', 'list', 'pods', '', 'foo');
    expect(isAllowedByClusterRole(list, { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'], resourceNames: ['p1'] }] })).toBe(false);
    const metrics = recorded('GET', '/metrics', 'get', '');
    expect(isAllowedByClusterRole(metrics, { rules: [{ nonResourceURLs: ['/metr*'], verbs: ['get'] }] })).toBe(true);
    expect(isAllowedByClusterRole(list, { rules: null })).toBe(false);
  });
});

describe('the live Kubernetes client reads only what the ClusterRole allows', () => {
  let api: KubeApiServer;
  beforeAll(async () => {
    api = await startKubeApiServer({
      servedGroups: ['security.istio.io/v1', 'security.istio.io/v1beta1', 'authentication.istio.io/v1alpha1'],
      objects: [
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'foo', labels: { 'istio-injection': 'enabled' } } },
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpbin', namespace: 'foo' }, spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000 }] } },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'httpbin-1', namespace: 'foo', labels: { app: 'httpbin' } },
          spec: { containers: [{ name: 'httpbin' }, { name: 'istio-proxy' }] },
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'istiod-1', namespace: 'istio-system', labels: { app: 'istiod' } },
          spec: { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.22.3' }] },
        },
        {
          apiVersion: 'security.istio.io/v1',
          kind: 'RequestAuthentication',
          metadata: { name: 'jwt', namespace: 'foo' },
          spec: { jwtRules: [{ issuer: 'https://issuer.example' }] },
        },
      ],
      logs: { 'foo/httpbin-1/istio-proxy': 'line 1\nline 2\n', 'istio-system/istiod-1/discovery': 'info ads\n' },
    });
  });
  afterAll(async () => {
    await api.close();
  });

  it('every request of every ClusterSource read is allowed, and every grant is used', async () => {
    const source = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: api.kubeconfigYaml, requestTimeoutMs: 5000 });
    const logOptions = { tailLines: 100, limitBytes: 65536 };
    await source.readService('foo', 'httpbin');
    await source.listServiceNames('foo');
    await source.readNamespace('foo');
    await source.listPods('foo', 'app=httpbin', 50);
    await source.listPods('istio-system', 'app=istiod', 5);
    await source.readPodLog('foo', 'httpbin-1', 'istio-proxy', logOptions);
    await source.readPodLog('istio-system', 'istiod-1', 'discovery', logOptions);
    for (const ns of ['foo', 'istio-system']) {
      await source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'requestauthentications', ns);
      await source.listCustomObjects('security.istio.io', ['v1', 'v1beta1'], 'authorizationpolicies', ns);
      await source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'policies', ns);
    }
    await source.listCustomObjects('authentication.istio.io', ['v1alpha1'], 'meshpolicies');

    const resourceRequests = api.requests.filter((r) => r.resource !== '');
    expect(resourceRequests.length).toBeGreaterThanOrEqual(14);
    const refused = api.requests.filter((r) => !isAllowedByClusterRole(r, role)).map((r) => explainClusterRoleDecision(r, role).reason);
    expect(refused).toEqual([]);
    // Nothing in the role is unused: the reads above exercise all nine grants.
    const used = new Set(resourceRequests.map((r) => `${r.verb} ${r.resource}`));
    expect(used.size).toBe(9);
  });
});
