/**
 * normalisePolicies against fixtures written the way istio.io tasks write them (test/fixtures/policies).
 * Each test names which object should apply and which should not, and checks the reason's key words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject, NamespaceInfo, PodInfo, PolicySet, ServiceInfo } from '../../src/model/index.js';
import { normalisePolicies, type PolicyInput } from '../../src/istio/policies.js';

const FIXTURES = join(process.cwd(), 'test', 'fixtures', 'policies');

function fixture(name: string): KubeObject[] {
  return parseAllDocuments(readFileSync(join(FIXTURES, name), 'utf8'))
    .map((doc) => doc.toJS() as unknown)
    .filter((v): v is KubeObject => v !== null && typeof v === 'object');
}

const service: ServiceInfo = {
  name: 'httpbin',
  namespace: 'foo',
  labels: { app: 'httpbin', service: 'httpbin' },
  selector: { app: 'httpbin' },
  ports: [{ name: 'http', port: 8000, targetPort: 8080 }],
};

function sidecarPod(overrides: Partial<PodInfo> = {}): PodInfo {
  return {
    name: 'httpbin-7d9c5b8f4-abcde',
    namespace: 'foo',
    labels: { app: 'httpbin', version: 'v1' },
    annotations: {},
    phase: 'Running',
    ready: true,
    containers: ['httpbin', 'istio-proxy'],
    initContainers: ['istio-init'],
    restarts: 0,
    ...overrides,
  };
}

const ambientPod = (): PodInfo => sidecarPod({ containers: ['httpbin'], initContainers: [] });
const ns = (labels: Record<string, string> = { 'istio-injection': 'enabled' }): NamespaceInfo => ({ name: 'foo', exists: true, labels });

function run(overrides: Partial<PolicyInput>): PolicySet {
  return normalisePolicies({
    target: { service: 'httpbin', namespace: 'foo' },
    service,
    pods: [sidecarPod()],
    namespace: ns(),
    rootNamespace: 'istio-system',
    requestAuthentications: [],
    authorizationPolicies: [],
    ...overrides,
  });
}

const ra = (set: PolicySet, name: string) => {
  const found = set.requestAuthentications.find((r) => r.source.name === name);
  if (!found) throw new Error(`no RequestAuthentication ${name}`);
  return found;
};
const ap = (set: PolicySet, name: string) => {
  const found = set.authorizationPolicies.find((r) => r.source.name === name);
  if (!found) throw new Error(`no AuthorizationPolicy ${name}`);
  return found;
};
const legacy = (set: PolicySet, name: string) => {
  const found = set.legacy.policies.find((r) => r.source.name === name);
  if (!found) throw new Error(`no legacy policy ${name}`);
  return found;
};

describe('RequestAuthentication targeting (sidecar)', () => {
  it('applies the authn-policy task jwt-example to app=httpbin pods and normalises its rule', () => {
    const set = run({ requestAuthentications: fixture('authn-policy-jwt-example.yaml') });
    const info = ra(set, 'jwt-example');
    expect(info.applies).toBe(true);
    expect(info.reason).toMatch(/selector app=httpbin matches pod httpbin-7d9c5b8f4-abcde/);
    expect(info.selector).toEqual({ app: 'httpbin' });
    expect(info.ruleKeys).toEqual(['RequestAuthentication/foo/jwt-example#0']);
    expect(set.jwtRules).toEqual([
      {
        key: 'RequestAuthentication/foo/jwt-example#0',
        source: { kind: 'RequestAuthentication', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'jwt-example' },
        index: 0,
        api: 'modern',
        issuer: 'testing@secure.istio.io',
        jwksUri: 'https://raw.githubusercontent.com/istio/istio/release-1.22/security/tools/jwt/samples/jwks.json',
        audiences: [],
        locations: [],
        forwardOriginalToken: false,
        applies: true,
        reason: info.reason,
        reasonCode: 'applies',
      },
    ]);
    expect(set.legacy).toEqual({ installed: false, policies: [] });
  });

  it('does not apply a selector with a typo and names the differing label', () => {
    const set = run({ requestAuthentications: fixture('selector-typo.yaml') });
    const info = ra(set, 'jwt-typo');
    expect(info.applies).toBe(false);
    expect(info.reason).toContain('selector wants app=httpbin-v2, pods have app=httpbin');
    expect(info.reasonCode).toBe('selector-mismatch');
    expect(set.jwtRules[0]?.reasonCode).toBe('selector-mismatch');
    expect(set.jwtRules[0]).toMatchObject({ applies: false, locations: [{ in: 'header', name: 'Authorization', prefix: 'Bearer' }] });
  });

  it('names a label the pods lack entirely', () => {
    const obj: KubeObject = { kind: 'RequestAuthentication', metadata: { name: 'v2', namespace: 'foo' }, spec: { selector: { matchLabels: { app: 'httpbin', track: 'canary' } } } };
    expect(ra(run({ requestAuthentications: [obj] }), 'v2').reason).toContain('selector wants track=canary, pods have no track label');
  });

  it('applies when at least one pod matches (union over pods)', () => {
    const obj: KubeObject = { kind: 'RequestAuthentication', metadata: { name: 'v2-only', namespace: 'foo' }, spec: { selector: { matchLabels: { version: 'v2' } } } };
    const pods = [sidecarPod(), sidecarPod({ name: 'httpbin-v2-xyz', labels: { app: 'httpbin', version: 'v2' } })];
    const info = ra(run({ requestAuthentications: [obj], pods }), 'v2-only');
    expect(info.applies).toBe(true);
    expect(info.reason).toContain('httpbin-v2-xyz');
  });

  it('judges on the Service selector when there are no pods, and says so', () => {
    const set = run({ pods: [], requestAuthentications: [...fixture('authn-policy-jwt-example.yaml'), ...fixture('selector-typo.yaml')] });
    expect(ra(set, 'jwt-example')).toMatchObject({ applies: true });
    expect(ra(set, 'jwt-example').reason).toContain('no pods: judged on the Service selector');
    expect(ra(set, 'jwt-typo').applies).toBe(false);
    expect(ra(set, 'jwt-typo').reason).toMatch(/selector wants app=httpbin-v2, the Service selector has app=httpbin.*no pods: judged on the Service selector/);
  });

  it('applies a selector-less RA in the namespace to every workload there', () => {
    const obj: KubeObject = { kind: 'RequestAuthentication', metadata: { name: 'ns-wide', namespace: 'foo' }, spec: { jwtRules: [{ issuer: 'https://i.example' }] } };
    const info = ra(run({ requestAuthentications: [obj] }), 'ns-wide');
    expect(info).toMatchObject({ applies: true });
    expect(info.reason).toContain('no selector: applies to every workload in foo');
  });

  it('root namespace: selector-less is mesh-wide, a selector must match, other namespaces never apply', () => {
    const set = run({ requestAuthentications: fixture('root-namespace.yaml') });
    expect(ra(set, 'mesh-jwt').applies).toBe(true);
    expect(ra(set, 'mesh-jwt').reason).toContain('mesh-wide');
    expect(ra(set, 'ingress-jwt').applies).toBe(false);
    expect(ra(set, 'ingress-jwt').reason).toMatch(/selector wants istio=ingressgateway, pods have no istio label.*every namespace/);
    expect(ra(set, 'other-team').applies).toBe(false);
    expect(ra(set, 'other-team').reason).toContain('lives in namespace bar');

    const mesh = set.jwtRules.find((r) => r.key === 'RequestAuthentication/istio-system/mesh-jwt#0');
    expect(mesh).toMatchObject({
      applies: true,
      audiences: ['mesh-api'],
      forwardOriginalToken: true,
      locations: [
        { in: 'header', name: 'x-jwt-assertion' },
        { in: 'param', name: 'token' },
        { in: 'cookie', name: 'session' },
      ],
    });
  });

  it('a root-namespace selector matches pods of this namespace', () => {
    const obj: KubeObject = { kind: 'RequestAuthentication', metadata: { name: 'all-httpbins', namespace: 'istio-system' }, spec: { selector: { matchLabels: { app: 'httpbin' } } } };
    const info = ra(run({ requestAuthentications: [obj] }), 'all-httpbins');
    expect(info.applies).toBe(true);
    expect(info.reason).toContain('root namespace istio-system');
  });

  it('targetRefs on a sidecar workload does not apply', () => {
    const set = run({ requestAuthentications: fixture('waypoint-targetrefs.yaml') });
    const info = ra(set, 'httpbin-waypoint-jwt');
    expect(info.applies).toBe(false);
    expect(info.reason).toContain("targetRefs binds to a Gateway/waypoint, not to this workload's sidecar; use selector");
    expect(info.reasonCode).toBe('target-refs-on-sidecar');
    expect(info.targetRefs).toEqual([{ group: '', kind: 'Service', name: 'httpbin' }]);
  });

  it('selector and targetRefs together are rejected', () => {
    const obj: KubeObject = {
      kind: 'RequestAuthentication',
      metadata: { name: 'both', namespace: 'foo' },
      spec: { selector: { matchLabels: { app: 'httpbin' } }, targetRefs: [{ kind: 'Service', name: 'httpbin' }] },
    };
    const info = ra(run({ requestAuthentications: [obj] }), 'both');
    expect(info.applies).toBe(false);
    expect(info.reason).toContain('mutually exclusive');
    expect(info.reasonCode).toBe('selector-and-target-refs');
  });
});

describe('ambient mode', () => {
  const ambientNs = (extra: Record<string, string> = {}) => ns({ 'istio.io/dataplane-mode': 'ambient', ...extra });

  it('with a waypoint: targetRefs to the Service or the waypoint Gateway apply, selectors do not', () => {
    const set = run({
      pods: [ambientPod()],
      namespace: ambientNs({ 'istio.io/use-waypoint': 'waypoint' }),
      requestAuthentications: [...fixture('waypoint-targetrefs.yaml'), ...fixture('authn-policy-jwt-example.yaml')],
      authorizationPolicies: fixture('waypoint-targetrefs.yaml'),
    });
    expect(ra(set, 'httpbin-waypoint-jwt').applies).toBe(true);
    expect(ra(set, 'httpbin-waypoint-jwt').reason).toContain('Service httpbin');
    expect(ra(set, 'httpbin-waypoint-jwt').reasonCode).toBe('applies');
    expect(ap(set, 'httpbin-waypoint-require-jwt').applies).toBe(true);
    expect(ap(set, 'httpbin-waypoint-require-jwt').reason).toContain('Gateway waypoint');
    expect(ra(set, 'jwt-example').applies).toBe(false);
    expect(ra(set, 'jwt-example').reason).toContain('waypoint waypoint ignores selector-based policies');
    expect(ra(set, 'jwt-example').reasonCode).toBe('waypoint-ignores-selector');
  });

  it('a Service label use-waypoint wins over the namespace, and a root-namespace GatewayClass ref applies', () => {
    const obj: KubeObject = {
      kind: 'RequestAuthentication',
      metadata: { name: 'all-waypoints', namespace: 'istio-system' },
      spec: { targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio-waypoint' }] },
    };
    const gw: KubeObject = {
      kind: 'RequestAuthentication',
      metadata: { name: 'ns-waypoint', namespace: 'foo' },
      spec: { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }] },
    };
    const set = run({
      pods: [ambientPod()],
      service: { ...service, labels: { ...service.labels, 'istio.io/use-waypoint': 'httpbin-wp' } },
      namespace: ambientNs({ 'istio.io/use-waypoint': 'waypoint' }),
      requestAuthentications: [obj, gw],
    });
    expect(ra(set, 'all-waypoints').applies).toBe(true);
    expect(ra(set, 'ns-waypoint').applies).toBe(false);
    expect(ra(set, 'ns-waypoint').reason).toContain('nor its waypoint httpbin-wp');
    expect(ra(set, 'ns-waypoint').reasonCode).toBe('target-refs-miss');
  });

  it('without a waypoint nothing applies: ztunnel cannot enforce JWT', () => {
    const set = run({
      pods: [ambientPod()],
      namespace: ambientNs(),
      requestAuthentications: [...fixture('waypoint-targetrefs.yaml'), ...fixture('authn-policy-jwt-example.yaml')],
      authorizationPolicies: fixture('authz-jwt.yaml'),
    });
    for (const info of [...set.requestAuthentications, ...set.authorizationPolicies]) {
      expect(info.applies).toBe(false);
      expect(info.reason).toMatch(/ambient mode without a waypoint: ztunnel cannot enforce JWT/);
      expect(info.reasonCode).toBe('ambient-without-waypoint');
    }
    expect(set.jwtRules.every((r) => !r.applies)).toBe(true);
  });

  it('use-waypoint: none on the Service means no waypoint', () => {
    const set = run({
      pods: [ambientPod()],
      service: { ...service, labels: { 'istio.io/use-waypoint': 'none' } },
      namespace: ambientNs({ 'istio.io/use-waypoint': 'waypoint' }),
      requestAuthentications: fixture('waypoint-targetrefs.yaml'),
    });
    expect(ra(set, 'httpbin-waypoint-jwt').reason).toContain('without a waypoint');
  });
});

describe('gateways (ISTIO-JWT §2.1, IST0166)', () => {
  const gwService: ServiceInfo = {
    name: 'web-gw-istio', namespace: 'foo', labels: {}, selector: { 'gateway.networking.k8s.io/gateway-name': 'web-gw' },
    ports: [{ name: 'status-port', port: 15021 }, { name: 'http', port: 80 }],
  };
  const gwPod = (labels: Record<string, string>): PodInfo =>
    sidecarPod({ name: 'web-gw-istio-6d8f7c9b5-k2l3m', labels, containers: ['istio-proxy'], initContainers: [] });
  const apiGwPod = gwPod({ 'gateway.networking.k8s.io/gateway-name': 'web-gw', 'service.istio.io/canonical-name': 'web-gw-istio' });
  const obj = (kind: string, name: string, spec: Record<string, unknown>, namespace = 'foo'): KubeObject => ({
    apiVersion: 'security.istio.io/v1', kind, metadata: { name, namespace }, spec,
  });
  const rules = { jwtRules: [{ issuer: 'https://issuer.example' }] };
  const runGw = (pods: PodInfo[], ras: KubeObject[], aps: KubeObject[] = [], svc: ServiceInfo = gwService) =>
    normalisePolicies({
      target: { service: svc.name, namespace: 'foo' }, service: svc, pods, namespace: ns(), rootNamespace: 'istio-system',
      requestAuthentications: ras, authorizationPolicies: aps,
    });

  it('Gateway API gateway: targetRefs naming its Gateway applies (RA and AP); a selector on its pods is ineffective', () => {
    const toGw = { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'web-gw' }] };
    const set = runGw(
      [apiGwPod],
      [
        obj('RequestAuthentication', 'by-ref', { ...toGw, ...rules }),
        obj('RequestAuthentication', 'by-selector', { selector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'web-gw' } }, ...rules }),
        obj('RequestAuthentication', 'other-gw', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'api-gw' }], ...rules }),
        obj('RequestAuthentication', 'mesh-wide', rules, 'istio-system'),
      ],
      [obj('AuthorizationPolicy', 'require-jwt', { ...toGw, rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] })],
    );
    expect(ra(set, 'by-ref')).toMatchObject({ applies: true, reasonCode: 'applies' });
    expect(ra(set, 'by-ref').reason).toContain('Gateway web-gw');
    expect(ra(set, 'by-selector')).toMatchObject({ applies: false, reasonCode: 'gateway-ignores-selector' });
    expect(ra(set, 'by-selector').reason).toMatch(/IST0166.*use targetRefs/);
    expect(ra(set, 'other-gw')).toMatchObject({ applies: false, reasonCode: 'target-refs-miss' });
    expect(ra(set, 'mesh-wide').applies).toBe(true);
    expect(ap(set, 'require-jwt').applies).toBe(true);
    expect(set.jwtRules.filter((r) => r.applies).map((r) => r.source.name).sort()).toEqual(['by-ref', 'mesh-wide']);
  });

  it('the older istio.io/gateway-name label marks a Gateway API gateway too', () => {
    const set = runGw([gwPod({ 'istio.io/gateway-name': 'web-gw' })], [
      obj('RequestAuthentication', 'by-ref', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'web-gw' }], ...rules }),
    ]);
    expect(ra(set, 'by-ref').applies).toBe(true);
  });

  it('classic gateway (istio-proxy runs proxy router): selectors apply as usual, targetRefs does not', () => {
    const classicSvc: ServiceInfo = { ...gwService, name: 'istio-ingressgateway', namespace: 'foo', selector: { istio: 'ingressgateway' } };
    const classic = sidecarPod({
      name: 'istio-ingressgateway-5c7d9f8b6-q7w8e', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
      containers: ['istio-proxy'], initContainers: [], proxyArgs: ['proxy', 'router', '--domain', '$(POD_NAMESPACE).svc.cluster.local'],
    });
    const set = runGw([classic], [
      obj('RequestAuthentication', 'ingress-jwt', { selector: { matchLabels: { istio: 'ingressgateway' } }, ...rules }),
      obj('RequestAuthentication', 'by-ref', { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'istio-ingressgateway' }], ...rules }),
    ], [], classicSvc);
    expect(ra(set, 'ingress-jwt')).toMatchObject({ applies: true, reasonCode: 'applies' });
    expect(ra(set, 'by-ref')).toMatchObject({ applies: false, reasonCode: 'target-refs-on-classic-gateway' });
  });
});

describe('AuthorizationPolicy', () => {
  it('parses the authz-jwt require-jwt policy', () => {
    const set = run({ authorizationPolicies: fixture('authz-jwt.yaml'), requestAuthentications: fixture('authz-jwt.yaml') });
    const info = ap(set, 'require-jwt');
    expect(info).toMatchObject({ applies: true, action: 'ALLOW', selector: { app: 'httpbin' } });
    expect(info.rules).toEqual([
      {
        from: [{ source: { requestPrincipals: ['testing@secure.istio.io/testing@secure.istio.io'] } }],
        when: [{ key: 'request.auth.claims[groups]', values: ['group1'] }],
      },
    ]);
    // The RA of the same file is listed, and the RA list only holds RAs.
    expect(set.requestAuthentications.map((r) => r.source.name)).toEqual(['jwt-example']);
    expect(set.authorizationPolicies.map((r) => r.source.name)).toEqual(['require-jwt']);
  });

  it('keeps rules undefined for allow-nothing (deny all) and [] for an empty list', () => {
    const empty: KubeObject = { kind: 'AuthorizationPolicy', metadata: { name: 'empty-list', namespace: 'foo' }, spec: { rules: [] } };
    const set = run({ authorizationPolicies: [...fixture('allow-nothing.yaml'), empty] });
    const nothing = ap(set, 'allow-nothing');
    expect(nothing).toMatchObject({ applies: true, action: 'ALLOW' });
    expect(nothing.rules).toBeUndefined();
    expect(nothing.reason).toContain('no selector');
    expect(ap(set, 'empty-list').rules).toEqual([]);
  });

  it('parses DENY with notRequestPrincipals and drops non-string ports', () => {
    const info = ap(run({ authorizationPolicies: fixture('allow-nothing.yaml') }), 'deny-no-token');
    expect(info.action).toBe('DENY');
    expect(info.rules).toEqual([
      { from: [{ source: { notRequestPrincipals: ['*'] } }], to: [{ operation: { paths: ['/headers'] } }] },
    ]);
  });

  it('an AP with a selector that misses the pods does not apply', () => {
    const obj: KubeObject = { kind: 'AuthorizationPolicy', metadata: { name: 'other', namespace: 'foo' }, spec: { selector: { matchLabels: { app: 'productpage' } }, rules: [{}] } };
    const info = ap(run({ authorizationPolicies: [obj] }), 'other');
    expect(info.applies).toBe(false);
    expect(info.reason).toContain('selector wants app=productpage, pods have app=httpbin');
  });
});

describe('legacy authentication.istio.io policies', () => {
  it('applies the Istio 1.0 service Policy with principalBinding USE_ORIGIN (version unknown)', () => {
    const set = run({ legacyPolicies: fixture('legacy-1.0-service-policy.yaml') });
    expect(set.legacy.installed).toBe(true);
    const info = legacy(set, 'jwt-example');
    expect(info).toMatchObject({
      scope: 'service',
      applies: true,
      principalBinding: 'USE_ORIGIN',
      hasPeers: true,
      hasOrigins: true,
      originIsOptional: false,
      targets: [{ name: 'httpbin', ports: [] }],
      ruleKeys: ['Policy/foo/jwt-example#0'],
    });
    expect(info.reason).toContain('targets httpbin');
    expect(set.jwtRules).toEqual([
      expect.objectContaining({
        key: 'Policy/foo/jwt-example#0',
        api: 'legacy',
        issuer: 'testing@secure.istio.io',
        jwksUri: 'https://raw.githubusercontent.com/istio/istio/release-1.0/security/tools/jwt/samples/jwks.json',
        locations: [],
        forwardOriginalToken: false,
        applies: true,
      }),
    ]);
  });

  it('applies on Istio 1.4 and is ignored on Istio 1.22', () => {
    const old = run({ legacyPolicies: fixture('legacy-1.0-service-policy.yaml'), istioVersion: { major: 1, minor: 4, patch: 6 } });
    expect(legacy(old, 'jwt-example').applies).toBe(true);

    const set = run({ legacyPolicies: fixture('legacy-1.0-service-policy.yaml'), istioVersion: { major: 1, minor: 22, patch: 3 } });
    const info = legacy(set, 'jwt-example');
    expect(info.applies).toBe(false);
    expect(info.reason).toContain('Istio 1.22 ignores authentication.istio.io policies (removed in 1.6)');
    expect(info.reasonCode).toBe('legacy-removed');
    expect(set.jwtRules[0]).toMatchObject({ applies: false, reason: info.reason, reasonCode: 'legacy-removed' });
  });

  it('service-specific beats the namespace default, which beats the MeshPolicy, whole', () => {
    const docs = fixture('legacy-namespace-and-mesh.yaml');
    const set = run({
      legacyPolicies: [...docs.filter((d) => d.kind === 'Policy'), ...fixture('legacy-1.0-service-policy.yaml')],
      meshPolicies: docs.filter((d) => d.kind === 'MeshPolicy'),
    });
    expect(legacy(set, 'jwt-example').applies).toBe(true);
    const nsDefault = set.legacy.policies.find((p) => p.scope === 'namespace');
    expect(nsDefault?.applies).toBe(false);
    expect(nsDefault?.reason).toMatch(/overridden by service-specific Policy jwt-example.*no merging/);
    const mesh = set.legacy.policies.find((p) => p.scope === 'mesh');
    expect(mesh).toMatchObject({ applies: false, source: { kind: 'MeshPolicy', name: 'default' } });
    expect(mesh?.source.namespace).toBeUndefined();
    expect(legacy(set, 'jwt-for-all').applies).toBe(false);
    expect(legacy(set, 'jwt-for-all').reason).toContain('must be named default');
    // Every rule is listed, applying or not; the cluster-scoped MeshPolicy has no origins.
    expect(set.jwtRules.map((r) => [r.key, r.applies])).toEqual([
      ['Policy/foo/default#0', false],
      ['Policy/foo/jwt-example#0', true],
      ['Policy/foo/jwt-for-all#0', false],
    ]);
  });

  it('without a service Policy the namespace default applies, with snake_case fields', () => {
    const docs = fixture('legacy-namespace-and-mesh.yaml');
    const set = run({ legacyPolicies: docs.filter((d) => d.kind === 'Policy'), meshPolicies: docs.filter((d) => d.kind === 'MeshPolicy') });
    const nsDefault = set.legacy.policies.find((p) => p.scope === 'namespace');
    expect(nsDefault).toMatchObject({ applies: true, principalBinding: 'USE_ORIGIN', originIsOptional: true });
    expect(set.legacy.policies.find((p) => p.scope === 'mesh')?.reason).toContain('overridden by namespace-wide Policy foo/default');
    expect(set.jwtRules.find((r) => r.key === 'Policy/foo/default#0')).toMatchObject({
      applies: true,
      jwksUri: 'https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com',
      audiences: ['my-project'],
      locations: [{ in: 'header', name: 'x-goog-iap-jwt-assertion' }],
    });
  });

  it('hasOrigins tells a peers-only MeshPolicy (mTLS leftover) from one holding JWT origins', () => {
    const peersOnly: KubeObject = {
      apiVersion: 'authentication.istio.io/v1alpha1', kind: 'MeshPolicy', metadata: { name: 'default' }, spec: { peers: [{ mtls: {} }] },
    };
    const set = run({ meshPolicies: [peersOnly], istioVersion: { major: 1, minor: 22, patch: 3 } });
    expect(legacy(set, 'default')).toMatchObject({ hasPeers: true, hasOrigins: false, ruleKeys: [] });
  });

  it('only the MeshPolicy: it applies mesh-wide and its rule key has no namespace', () => {
    const mesh: KubeObject = {
      apiVersion: 'authentication.istio.io/v1alpha1',
      kind: 'MeshPolicy',
      metadata: { name: 'default' },
      spec: { origins: [{ jwt: { issuer: 'https://mesh.example' } }] },
    };
    const set = run({ meshPolicies: [mesh] });
    expect(set.legacy.policies[0]).toMatchObject({ scope: 'mesh', applies: true });
    expect(set.jwtRules[0]?.key).toBe('MeshPolicy//default#0');
  });

  it('several service Policies: the first by name applies, the others are reported as a random pick', () => {
    const set = run({ legacyPolicies: fixture('legacy-competing.yaml') });
    expect(legacy(set, 'a-jwt').applies).toBe(true);
    expect(legacy(set, 'a-jwt').reason).toContain('picks one at random');
    expect(legacy(set, 'b-jwt').applies).toBe(false);
    expect(legacy(set, 'b-jwt').reason).toBe('another service-specific Policy (a-jwt) also targets httpbin: Istio picks one at random');
    expect(legacy(set, 'ports-jwt').applies).toBe(false);
    expect(legacy(set, 'ports-jwt').reason).toMatch(/only on port\(s\) 9090.*8000\/http/);
    expect(legacy(set, 'fqdn-jwt').reason).toContain('must be the Service short name');
    expect(set.jwtRules.find((r) => r.key === 'Policy/foo/b-jwt#0')?.locations).toEqual([{ in: 'param', name: 'token' }]);
  });

  it('installed is false only when neither list was read', () => {
    expect(run({}).legacy.installed).toBe(false);
    expect(run({ meshPolicies: [] }).legacy.installed).toBe(true);
  });
});

describe('malformed input', () => {
  it('never throws and keeps what can be read', () => {
    const docs = fixture('malformed.yaml');
    const set = run({
      requestAuthentications: docs,
      authorizationPolicies: docs,
      legacyPolicies: docs,
      meshPolicies: [null, 'x', 42] as unknown as KubeObject[],
    });
    expect(ra(set, 'null-spec')).toMatchObject({ applies: true, ruleKeys: [] });
    expect(ra(set, 'string-rules').reason).toContain('jwtRules is not a list');
    const odd = set.jwtRules.filter((r) => r.source.name === 'odd-entries');
    expect(odd).toHaveLength(1);
    expect(odd[0]).toMatchObject({
      key: 'RequestAuthentication/foo/odd-entries#1',
      audiences: [],
      locations: [{ in: 'header', name: 'x-token' }, { in: 'param', name: 'tok' }],
    });
    expect(odd[0]?.issuer).toBeUndefined();
    expect(ap(set, 'odd-rules').rules).toEqual([
      { to: [{ operation: { paths: ['/ip'] } }], when: [{ key: 'request.auth.claims[iss]' }] },
    ]);
    expect(ap(set, 'bad-action')).toMatchObject({ applies: false });
    expect(ap(set, 'bad-action').reason).toContain('PERMIT');
    expect(set.legacy.policies).toHaveLength(1);
    expect(set.legacy.policies[0]).toMatchObject({ scope: 'namespace', targets: [], ruleKeys: [], hasPeers: false });
  });

  it('tolerates a completely empty world', () => {
    const set = normalisePolicies({
      target: { service: 'ghost', namespace: 'nowhere' },
      pods: [],
      namespace: { name: 'nowhere', exists: false, labels: {} },
      rootNamespace: 'istio-system',
      requestAuthentications: [{} as KubeObject, { kind: 'RequestAuthentication', metadata: { namespace: 'nowhere' }, spec: { selector: { matchLabels: { app: 'x' } } } }],
      authorizationPolicies: [],
    });
    expect(set.requestAuthentications).toHaveLength(2);
    expect(set.requestAuthentications.find((r) => r.selector)?.reason).toContain('cannot be judged');
  });
});

describe('ordering', () => {
  it('lists root namespace rules first, then the namespace, by name and index', () => {
    const two: KubeObject = {
      kind: 'RequestAuthentication',
      metadata: { name: 'a-two', namespace: 'foo' },
      spec: { jwtRules: [{ issuer: 'https://z.example' }, { issuer: 'https://a.example' }] },
    };
    const set = run({ requestAuthentications: [...fixture('authn-policy-jwt-example.yaml'), two, ...fixture('root-namespace.yaml')] });
    expect(set.jwtRules.map((r) => r.key)).toEqual([
      'RequestAuthentication/istio-system/ingress-jwt#0',
      'RequestAuthentication/istio-system/mesh-jwt#0',
      'RequestAuthentication/foo/a-two#0',
      'RequestAuthentication/foo/a-two#1',
      'RequestAuthentication/foo/jwt-example#0',
      'RequestAuthentication/bar/other-team#0',
    ]);
  });
});
