import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/issuer-discovery.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ISSUER, issuerEvidence, ok, policySet, rule } from '../support/evidence.js';
import type { DiscoveryInfo, Evidence, JwtRule, Slot } from '../../src/model/index.js';

const KEY = 'RequestAuthentication/foo/jwt-example#0';
const URL_ = `${ISSUER}/.well-known/openid-configuration`;

function withDiscovery(discovery: Slot<DiscoveryInfo> | undefined, patch: Partial<JwtRule> = {}): Evidence {
  const ev = healthyEvidence();
  ev.policies = ok(policySet({ jwtRules: [rule({ jwksUri: undefined, ...patch })] }));
  ev.issuers = ok({ [KEY]: issuerEvidence({ keySource: 'discovery', discovery }) });
  return ev;
}

const doc = (document: Record<string, unknown>, extra: Partial<DiscoveryInfo> = {}): Slot<DiscoveryInfo> =>
  ok({ url: URL_, status: 200, contentType: 'application/json', document, ...extra });

describe('issuer.discovery', () => {
  it('skips when jwksUri is set', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('skip');
  });

  it('passes naming the jwks_uri', () => {
    const [r] = runCheck(check, withDiscovery(doc({ issuer: ISSUER, jwks_uri: `${ISSUER}/keys` })), context());
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
    expect(r?.detail).toContain(`${ISSUER}/keys`);
  });

  it('fails on 404 with the Keycloak hint', () => {
    const issuer = 'https://kc.example/auth/realms/main';
    const [r] = runCheck(
      check,
      withDiscovery(ok({ url: `${issuer}/.well-known/openid-configuration`, status: 404 }), { issuer }),
      context(),
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('404 from https://kc.example/auth/realms/main/.well-known/openid-configuration');
    expect(r?.fix).toContain('/auth prefix');
  });

  it('fails on HTML instead of JSON', () => {
    const [r] = runCheck(check, withDiscovery(ok({ url: URL_, status: 200, contentType: 'text/html', problem: 'HTML, not JSON' })), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('HTML, not JSON');
  });

  it('fails on an issuer mismatch by trailing slash', () => {
    const [r] = runCheck(check, withDiscovery(doc({ issuer: `${ISSUER}/`, jwks_uri: `${ISSUER}/keys` })), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('trailing slash');
    expect(r?.detail).toContain('Jwt issuer is not configured');
    expect(r?.fix).toContain(`issuer: "${ISSUER}/"`);
  });

  it('fails without jwks_uri', () => {
    const [r] = runCheck(check, withDiscovery(doc({ issuer: ISSUER })), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('invalid jwks_uri');
  });

  it('reports error with istiod reachability advice when unreachable', () => {
    const [r] = runCheck(
      check,
      withDiscovery({ ok: false, error: { code: 'unreachable', message: 'x509: certificate signed by unknown authority' } }),
      context(),
    );
    expect(r?.status).toBe('error');
    expect(r?.detail).toContain('x509');
    expect(r?.fix).toContain('istiod');
    expect(r?.fix).toContain('jwksResolverExtraRootCA');
  });

  it('skips for a non-URL issuer, pointing to issuer.url', () => {
    const [r] = runCheck(check, withDiscovery(undefined, { issuer: 'testing@secure.istio.io' }), context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('issuer.url');
  });
});
