import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/token-audience.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { ISSUER, context, healthyEvidence, ok, policySet, rule } from '../support/evidence.js';

function withAud(aud: unknown, audiences: string[]) {
  const e = healthyEvidence();
  e.token.claims = { ...e.token.claims, aud };
  e.policies = ok(policySet({ jwtRules: [rule({ audiences })] }));
  return runCheck(check, e, context());
}

describe('token.audience', () => {
  it('skips a rule without audiences (not checked)', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('skip');
    expect(r?.subject).toBe(ISSUER);
    expect(r?.detail).toMatch(/lists no audiences: aud is not checked/);
  });

  it('passes when aud is listed', () => {
    const [r] = withAud('httpbin', ['httpbin']);
    expect(r?.status).toBe('pass');
  });

  it('ignores the scheme and one trailing slash on both sides, and reads aud lists', () => {
    expect(withAud(['other', 'https://api.example.com/'], ['api.example.com'])[0]?.status).toBe('pass');
    expect(withAud('api.example.com', ['http://api.example.com/'])[0]?.status).toBe('pass');
    expect(withAud('api.example.com//', ['api.example.com'])[0]?.status).toBe('fail');
  });

  it('fails with 403 naming the token aud and the configured audiences', () => {
    const [r] = withAud('account', ['httpbin']);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('403 "Audiences in Jwt are not allowed"');
    expect(r?.detail).toContain('"account"');
    expect(r?.detail).toContain('"httpbin"');
    expect(r?.fix).toMatch(/Add "account" to audiences/);
  });

  it('fails a token without aud when audiences are required', () => {
    const [r] = withAud(undefined, ['httpbin']);
    expect(r?.status).toBe('fail');
    expect(r?.fix).toMatch(/no aud/);
  });

  it('skips when no applying rule accepts the token issuer', () => {
    const e = healthyEvidence();
    e.token.claims = { ...e.token.claims, iss: 'https://other.example' };
    expect(runCheck(check, e, context())[0]?.detail).toMatch(/see token.issuer/);
  });
});
