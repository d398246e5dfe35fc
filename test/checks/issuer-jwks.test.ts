import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { summariseJwks } from '../../src/istio/jwks-summary.js';
import check from '../../src/checks/issuer-jwks.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ISSUER, issuerEvidence, ok } from '../support/evidence.js';
import type { Evidence, IssuerEvidence, JwkSummary } from '../../src/model/index.js';

const KEY = 'RequestAuthentication/foo/jwt-example#0';

function withIssuer(patch: Partial<IssuerEvidence>): Evidence {
  const ev = healthyEvidence();
  ev.issuers = ok({ [KEY]: issuerEvidence(patch) });
  return ev;
}

const keys = (ks: JwkSummary[]) => ({ keySet: ok({ keys: ks, jwks: { keys: [] } }) });

describe('issuer.jwks', () => {
  it('passes naming the keys', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
    expect(r?.detail).toContain('RSA RS256 kid key-1');
  });

  it('fails on an empty key set', () => {
    const [r] = runCheck(check, withIssuer(keys([])), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain("Jwks doesn't have any valid public key");
  });

  it('fails on placeholder keys', () => {
    const [r] = runCheck(check, withIssuer(keys([{ kid: 'abc', kty: 'RSA', usable: true, placeholder: true }])), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain("Istio's placeholder key");
    expect(r?.fix).toContain('istiod');
  });

  it('fails on an unloadable key next to a good one, naming the listener rejection, not "no valid public key"', () => {
    const [r] = runCheck(
      check,
      withIssuer({
        keySource: 'inline',
        keySetUrl: undefined,
        ...keys([
          { kid: 'key-1', kty: 'RSA', alg: 'RS256', usable: true },
          { kid: 'ecdh', kty: 'EC', alg: 'ECDH-ES', use: 'enc', usable: false, problem: '[alg] is not started with [ES] for an EC key (alg is "ECDH-ES")' },
        ]),
      }),
      context(),
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('whole listener');
    expect(r?.detail).toContain('ECDH-ES');
    expect(r?.detail).toContain('in jwt_authn config has invalid local jwks: [alg] is not started with [ES] for an EC key"');
    expect(r?.detail).toContain('keeps its previous config');
    expect(r?.detail).not.toContain("Jwks doesn't have any valid public key");
  });

  it('fails a set of only unloadable keys with the listener rejection too', () => {
    const [r] = runCheck(
      check,
      withIssuer(keys([{ kid: 'h', kty: 'OCT', usable: false, problem: '[kty] is not supported in [keys] (kty is "OCT")' }])),
      context(),
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('None of the 1 key');
    expect(r?.detail).toContain('istiod inlines the set');
    expect(r?.detail).toContain('invalid local jwks: [kty] is not supported in [keys]"');
    expect(r?.detail).not.toContain("Jwks doesn't have any valid public key");
  });

  it('treats a set of only non-object entries as empty (Envoy skips them)', () => {
    const [r] = runCheck(check, withIssuer(keys([{ usable: false, problem: 'not a JSON object (Envoy skips it)' }])), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain("Jwks doesn't have any valid public key");
  });

  it('passes the default Keycloak key set (RS256 sig key + RSA-OAEP enc key), noting the enc key', async () => {
    const sig = { ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)), kid: 'sig-1', alg: 'RS256', use: 'sig' };
    const enc = { ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).publicKey)), kid: 'enc-1', alg: 'RSA-OAEP', use: 'enc' };
    const parsed = summariseJwks(JSON.stringify({ keys: [sig, enc] }));
    if (!parsed.ok) throw new Error(parsed.message);
    const [r] = runCheck(check, withIssuer({ keySet: ok(parsed.value) }), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('RSA RSA-OAEP kid enc-1 use enc');
    expect(r?.detail).toContain('Envoy ignores "use"');
  });

  it('says the sidecar must reach the jwksUri in remote-JWKS mode (PILOT_JWT_ENABLE_REMOTE_JWKS=envoy)', () => {
    const e = withIssuer({ keySet: { ok: false, error: { code: 'timeout', message: 'timed out after 5000 ms' } } });
    if (e.istio.ok) e.istio.value.env = { PILOT_JWT_ENABLE_REMOTE_JWKS: 'envoy' };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('error');
    expect(r?.fix).toContain("workload's pods can reach");
    expect(r?.fix).toContain('Jwks remote fetch is failed');
    expect(r?.fix).toContain('ServiceEntry');
    expect(r?.fix).not.toContain('istiod can reach');
  });

  it('words unloadable keys as a failed remote fetch in remote-JWKS mode', () => {
    const e = withIssuer(keys([
      { kid: 'key-1', kty: 'RSA', alg: 'RS256', usable: true },
      { kid: 'x', kty: 'EC', alg: 'ECDH-ES', usable: false, problem: '[alg] is not started with [ES] for an EC key' },
    ]));
    if (e.istio.ok) e.istio.value.env = { PILOT_JWT_ENABLE_REMOTE_JWKS: 'envoy' };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwks remote fetch is failed');
    expect(r?.detail).not.toContain('listener');
  });

  it('warns on a duplicate kid', () => {
    const [r] = runCheck(
      check,
      withIssuer(keys([
        { kid: 'k', kty: 'RSA', alg: 'RS256', usable: true },
        { kid: 'k', kty: 'EC', alg: 'ES256', usable: true },
      ])),
      context(),
    );
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('repeats kid k');
  });

  it('fails on a 404 key set URL and errors when unreachable', () => {
    const [a] = runCheck(check, withIssuer({ keySet: { ok: false, error: { code: 'http-status', message: 'status 404' } } }), context());
    expect(a?.status).toBe('fail');
    expect(a?.detail).toContain('404');
    const [b] = runCheck(check, withIssuer({ keySet: { ok: false, error: { code: 'timeout', message: 'timed out after 5000 ms' } } }), context());
    expect(b?.status).toBe('error');
    expect(b?.fix).toContain('istiod');
  });

  it('skips when discovery gave no key location', () => {
    const [r] = runCheck(check, withIssuer({ keySource: 'none', keySet: undefined }), context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('issuer.discovery');
  });
});
