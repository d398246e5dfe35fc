import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/token-time.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { NOW_S, context, healthyEvidence } from '../support/evidence.js';

function withClaims(extra: Record<string, unknown>) {
  const e = healthyEvidence();
  e.token.claims = { ...e.token.claims, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete e.token.claims[k];
  return runCheck(check, e, context())[0];
}

describe('token.time', () => {
  it('passes a token that expires in the future', () => {
    const r = withClaims({});
    expect(r?.status).toBe('pass');
    expect(r?.detail).toMatch(/expires in 1 h at 2026-11-29T11:00:00Z/);
  });

  it('fails an expired token, saying how long ago in words', () => {
    const r = withClaims({ exp: NOW_S - (3 * 3600 + 12 * 60), iat: NOW_S - 4 * 3600 });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('expired 3 h 12 min ago at 2026-11-29T06:48:00Z');
    expect(r?.detail).toContain('Jwt is expired');
    expect(r?.fix).toMatch(/fresh token/);
  });

  it('warns within the 60 s clock skew', () => {
    const r = withClaims({ exp: NOW_S - 30 });
    expect(r?.status).toBe('warn');
    expect(r?.detail).toMatch(/within its 60 s clock skew/);
  });

  it('fails a token not yet valid and suspects clock skew', () => {
    const r = withClaims({ nbf: NOW_S + 600, iat: NOW_S + 600 });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwt not yet valid');
    expect(r?.detail).toMatch(/nbf is in 10 min/);
    expect(r?.fix).toMatch(/Clock skew/);
  });

  it('accepts nbf within the skew', () => {
    expect(withClaims({ nbf: NOW_S + 30 })?.status).toBe('pass');
  });

  it('warns when there is no exp', () => {
    const r = withClaims({ exp: undefined });
    expect(r?.status).toBe('warn');
    expect(r?.detail).toMatch(/never expires/);
  });

  it('fails a string exp with Envoy\'s parse error', () => {
    const r = withClaims({ exp: String(NOW_S + 3600) });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwt payload [exp] field is not an integer');
  });
});

describe('token.time under a legacy Policy (Istio ≤ 1.5)', () => {
  it('words the refusal as the client sees it: istio_authn\'s 401 body, with the JWT reason', async () => {
    const { default: check } = await import('../../src/checks/token-time.js');
    const { runCheck } = await import('../../src/engine/run-checks.js');
    const { context, healthyEvidence, NOW_S, ok, policySet, rule } = await import('../support/evidence.js');
    const e = healthyEvidence();
    e.token.claims = { ...e.token.claims, exp: NOW_S - 7200 };
    e.policies = ok(policySet({ jwtRules: [rule({ api: 'legacy', key: 'Policy/foo/jwt-example#0' })] }));
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('401 "Origin authentication failed."');
    expect(r?.detail).toContain('Jwt is expired');
  });
});
