import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/issuer-jwks.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ISSUER, issuerEvidence, ok } from '../support/evidence.js';
import type { Evidence, IssuerEvidence, JwkSummary } from '../../src/evidence/model.js';

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

  it('fails on an unusable key next to a good one (listener rejection)', () => {
    const [r] = runCheck(
      check,
      withIssuer({
        keySource: 'inline',
        keySetUrl: undefined,
        ...keys([
          { kid: 'key-1', kty: 'RSA', alg: 'RS256', usable: true },
          { kid: 'enc', kty: 'RSA', alg: 'RSA-OAEP', usable: false, problem: '[alg] is not started with [RS] or [PS] for an RSA key' },
        ]),
      }),
      context(),
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('whole listener');
    expect(r?.detail).toContain('RSA-OAEP');
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
