import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/istiod-jwks-fetch.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { Evidence, IstiodKeyFetchFailure } from '../../src/evidence/model.js';
import { ISSUER, JWKS_URI, context, healthyEvidence, ok, policySet, rule } from '../support/evidence.js';

function withFailures(failures: IstiodKeyFetchFailure[], tweak?: (e: Evidence) => void) {
  const e = healthyEvidence();
  if (e.istiodLogs.ok) e.istiodLogs.value.fetchFailures = failures;
  tweak?.(e);
  return runCheck(check, e, context());
}

const failure = (o: Partial<IstiodKeyFetchFailure>): IstiodKeyFetchFailure => ({
  url: JWKS_URI,
  cause: 'x509: certificate signed by unknown authority',
  placeholder: true,
  time: '2026-11-29T09:58:00Z',
  count: 3,
  ...o,
});

describe('istiod.jwks-fetch', () => {
  it('passes when istiod logged no failure for the issuer', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
  });

  it('fails an x509 failure on the jwksUri with the 1.21+ meaning and CA fixes', () => {
    const [r] = withFailures([failure({})]);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('does not trust the TLS certificate');
    expect(r?.detail).toContain('Jwt verification fails');
    expect(r?.fix).toContain('jwksResolverExtraRootCA');
    expect(r?.fix).toContain('JWKS_RESOLVER_INSECURE_SKIP_VERIFY');
  });

  it('matches the discovery URL with a trailing-slash issuer and gives the 1.8–1.20 meaning', () => {
    const [r] = withFailures(
      [failure({ url: `${ISSUER}/.well-known/openid-configuration`, cause: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' })],
      (e) => {
        e.policies = ok(policySet({ jwtRules: [rule({ issuer: `${ISSUER}/`, jwksUri: undefined })] }));
        if (e.istio.ok) e.istio.value.version = { major: 1, minor: 17, patch: 0 };
      },
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('timed out');
    expect(r?.detail).toContain("Jwks doesn't have key to match kid or alg from Jwt");
    expect(r?.fix).toContain('HTTPS_PROXY');
  });

  it('names a 404 and a missing host', () => {
    expect(withFailures([failure({ cause: 'status 404, message Not Found' })])[0]?.fix).toMatch(/Fix the URL/);
    expect(withFailures([failure({ cause: 'dial tcp: lookup issuer.example on 10.96.0.10:53: no such host' })])[0]?.detail).toMatch(/cannot resolve/);
  });

  it('prefers a concrete cause over istiod\'s fallback notice', () => {
    const [r] = withFailures([
      failure({ issuer: ISSUER, cause: 'the keys were not fetched yet; istiod pushed a fake JWKS', time: '2026-11-29T09:59:00Z', count: 1 }),
      failure({ cause: 'dial tcp: lookup issuer.example: no such host', time: '2026-11-29T09:58:59Z', count: 1 }),
    ]);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toMatch(/^istiod cannot resolve/);
  });

  it('warns when a later "Updated cached JWT public key" line shows recovery', () => {
    const [r] = withFailures([failure({})], (e) => {
      if (e.istiodLogs.ok) e.istiodLogs.value.keyUpdates = [`2026-11-29T09:59:30.000Z info model Updated cached JWT public key from "${JWKS_URI}"`];
    });
    expect(r?.status).toBe('warn');
    expect(r?.detail).toMatch(/recovered/);
  });

  it('passes with a note when failures are for other issuers', () => {
    const [r] = withFailures([failure({ url: 'https://elsewhere.example/jwks', issuer: 'https://elsewhere.example' })]);
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('other issuers');
  });

  it('skips when istiod is not found (managed control plane)', () => {
    const e = healthyEvidence();
    if (e.istio.ok) e.istio.value.istiodPods = [];
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('istiod not found in istio-system: managed control plane?');
  });
});
