/**
 * test/support/world.ts: untweaked it is exactly the grid's healthy scenario, and each named tweak changes only
 * what it names (the CLI, hardening, e2e and bench fixtures rely on both).
 */
import type { KubeObject } from '../src/model/index.js';
import { materialiseCase, readCase } from './cases/load-case.js';
import { startIssuer, type TestIssuer } from './support/oidc-issuer.js';
import { world, worldTokenClaims } from './support/world.js';

const IDP = { issuer: 'https://idp.example/realms/test', jwksUri: 'https://idp.example/realms/test/certs' };

const one = (objects: KubeObject[], kind: string): KubeObject => {
  const found = objects.filter((o) => o.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as KubeObject;
};
const rulesOf = (objects: KubeObject[]): Record<string, unknown>[] =>
  (one(objects, 'RequestAuthentication').spec as { jwtRules: Record<string, unknown>[] }).jwtRules;
const images = (objects: KubeObject[]): string[] =>
  objects
    .filter((o) => o.kind === 'Pod')
    .flatMap((p) => {
      const spec = p.spec as { containers: { image: string }[]; initContainers?: { image: string }[] };
      return [...(spec.initContainers ?? []), ...spec.containers].map((c) => c.image);
    });

describe('world', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await startIssuer();
  });
  afterAll(() => issuer.close());

  it('untweaked, it is test/cases/healthy as the grid builds it (objects and logs)', async () => {
    const { fixture } = await materialiseCase(readCase('healthy'), issuer);
    expect(world(issuer)).toEqual({ objects: fixture.objects, logs: fixture.logs });
  });

  it('the rule: issuer and jwksUri from the identity provider, audiences and extra rules as tweaked', () => {
    expect(rulesOf(world(IDP).objects)).toEqual([{ ...IDP, audiences: ['httpbin.foo.svc.cluster.local'] }]);
    expect(rulesOf(world({ issuer: IDP.issuer }, { audiences: null }).objects)).toEqual([{ issuer: IDP.issuer }]);
    const extra = { issuer: 'https://other.example', jwks: '{"keys":[]}' };
    expect(rulesOf(world(IDP, { audiences: ['a', 'b'], extraRules: [extra] }).objects)).toEqual([{ ...IDP, audiences: ['a', 'b'] }, extra]);
  });

  it('the policies: the RequestAuthentication renamed, the AuthorizationPolicy kept (principal of the issuer) or left out', () => {
    const { objects } = world(IDP, { requestAuthenticationName: 'jwt-example' });
    expect(one(objects, 'RequestAuthentication').metadata?.name).toBe('jwt-example');
    expect(JSON.stringify(one(objects, 'AuthorizationPolicy').spec)).toContain(`"${IDP.issuer}/*"`);
    const without = world(IDP, { authorizationPolicy: false }).objects;
    expect(without.filter((o) => o.kind === 'AuthorizationPolicy')).toEqual([]);
    expect(without).toHaveLength(objects.length - 1);
  });

  it('the Istio version retags the proxy, init and istiod images only', () => {
    expect(images(world(IDP, { istioVersion: '1.20.1' }).objects)).toEqual([
      'docker.io/istio/proxyv2:1.20.1',
      'docker.io/mccutchen/go-httpbin:v2.15.0',
      'docker.io/istio/proxyv2:1.20.1',
      'docker.io/istio/pilot:1.20.1',
    ]);
    expect(images(world(IDP).objects).filter((i) => i.includes('/istio/')).every((i) => i.endsWith(':1.22.3'))).toBe(true);
  });

  it('pod names and logs: the logs follow the renamed pods; a null log is absent', () => {
    const fixture = world(IDP, { proxyPod: 'httpbin-1', istiodPod: 'istiod-1', proxyLog: 'proxy text\n', istiodLog: 'istiod text\n' });
    expect(fixture.logs).toEqual({ 'foo/httpbin-1/istio-proxy': 'proxy text\n', 'istio-system/istiod-1/discovery': 'istiod text\n' });
    expect(world(IDP, { proxyLog: null, istiodLog: null }).logs).toEqual({});
    expect(Object.keys(world(IDP, { proxyLog: null }).logs ?? {})).toEqual(['istio-system/istiod-6b8f9c7d4-x7k2p/discovery']);
  });

  it('each call is a fresh copy: a test that edits its objects does not change the next world', () => {
    const first = world(IDP);
    rulesOf(first.objects).length = 0;
    expect(rulesOf(world(IDP).objects)).toHaveLength(1);
  });

  it("token.yaml's claims: alice, for the rule's audience", () => {
    expect(worldTokenClaims()).toMatchObject({ sub: 'alice', aud: 'httpbin.foo.svc.cluster.local' });
  });
});
