import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/token-issuer.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { ISSUER, context, healthyEvidence, ok, policySet, rule } from '../support/evidence.js';

function withIss(iss: unknown, issuer = ISSUER) {
  const e = healthyEvidence();
  e.token.claims = { ...e.token.claims, iss };
  e.policies = ok(policySet({ jwtRules: [rule({ issuer })] }));
  return runCheck(check, e, context());
}

describe('token.issuer', () => {
  it('passes when iss equals the issuer of an applying rule, with that issuer as subject', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
  });

  it('fails with Envoy\'s 401 text, naming the token iss and the configured issuers', () => {
    const [r] = withIss('https://other.example/realms/x');
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Jwt issuer is not configured');
    expect(r?.detail).toContain('"https://other.example/realms/x"');
    expect(r?.detail).toContain(`"${ISSUER}"`);
    expect(r?.fix).toMatch(/Set issuer in RequestAuthentication foo\/jwt-example jwtRules\[0\] to exactly "https:\/\/other.example\/realms\/x"/);
  });

  it('diagnoses a trailing slash', () => {
    const [r] = withIss(`${ISSUER}/`);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toMatch(/trailing slash: the token iss ends with "\/"/);
  });

  it('diagnoses http vs https', () => {
    const [r] = withIss('http://issuer.example');
    expect(r?.detail).toMatch(/http vs https/);
  });

  it('diagnoses internal vs external host with the same path', () => {
    const [r] = withIss('http://keycloak.auth.svc.cluster.local:8080/realms/demo', 'https://sso.example.com/realms/demo');
    expect(r?.status).toBe('fail');
    expect(r?.detail).toMatch(/different host, same path/);
    expect(r?.detail).toMatch(/http vs https/);
  });

  it('diagnoses the Keycloak /auth prefix', () => {
    const [r] = withIss('https://sso.example.com/realms/demo', 'https://sso.example.com/auth/realms/demo');
    expect(r?.detail).toMatch(/Keycloak \/auth prefix: the rule has it, the token does not/);
  });

  it('passes any iss for a rule without issuer (jwksUri only, 1.27+)', () => {
    const e = healthyEvidence();
    e.token.claims = { ...e.token.claims, iss: 'https://whatever.example' };
    e.policies = ok(policySet({ jwtRules: [rule({ issuer: undefined })] }));
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toMatch(/has no issuer/);
  });

  it('fails a non-string iss and skips without token or applying rules', () => {
    expect(withIss(42)[0]?.detail).toContain('Jwt payload [iss] field is not a string');
    const e = healthyEvidence();
    e.policies = ok(policySet({ jwtRules: [rule({ applies: false })] }));
    expect(runCheck(check, e, context())[0]?.status).toBe('skip');
    e.token = { provided: false, warnings: [], verification: {} };
    expect(runCheck(check, e, context())[0]?.detail).toMatch(/no token given/);
  });
});
