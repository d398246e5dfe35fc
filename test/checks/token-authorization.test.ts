import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/token-authorization.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { AuthorizationPolicyInfo } from '../../src/model/index.js';
import { ISSUER, authorizationPolicy, context, healthyEvidence, ok, policySet, rule } from '../support/evidence.js';

function withPolicies(aps: AuthorizationPolicyInfo[], claims?: Record<string, unknown>) {
  const e = healthyEvidence();
  // The RequestAuthentication names the token's issuer, whatever the test sets it to (else Envoy answers 401 first).
  const iss = typeof claims?.['iss'] === 'string' ? claims['iss'] : ISSUER;
  e.policies = ok(policySet({ authorizationPolicies: aps, jwtRules: [rule({ issuer: iss })] }));
  if (claims) e.token.claims = { ...e.token.claims, ...claims };
  return runCheck(check, e, context())[0];
}

describe('token.authorization', () => {
  it('passes naming the ALLOW rule that matches', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('allowed by foo/require-jwt rule 0');
    expect(r?.detail).toContain(`"${ISSUER}/user-1"`);
  });

  it('judges the request as tokenless when no JWT rule applies (the token never becomes a principal)', () => {
    const e = healthyEvidence();
    e.policies = ok(policySet({ jwtRules: [rule({ applies: false, reason: 'selector wants app=httpbin-v1' })] }));
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('rbac_access_denied_matched_policy[none]');
    expect(r?.detail).toContain('tokenless');
  });

  it('skips when no applying rule accepts the token issuer: Envoy answers 401 before authorization', () => {
    const e = healthyEvidence();
    e.token.claims = { ...e.token.claims, iss: 'https://other.example' };
    const [r] = runCheck(check, e, context());
    expect(r).toMatchObject({ status: 'skip' });
    expect(r?.detail).toContain('see token.issuer');
  });

  it('skips without applying AuthorizationPolicies', () => {
    const r = withPolicies([]);
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('no AuthorizationPolicy: any valid token is accepted');
  });

  it('fails with rbac [none] and says precisely why the closest rule misses', () => {
    const r = withPolicies([
      authorizationPolicy({ rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }] }] }),
    ], { iss: `${ISSUER}/` });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('rbac_access_denied_matched_policy[none]');
    expect(r?.detail).toContain('closest is foo/require-jwt rule 0');
    expect(r?.detail).toContain(`"${ISSUER}//user-1"`);
  });

  it('fails a token without sub against requestPrincipals "*"', () => {
    const e = healthyEvidence();
    e.policies = ok(policySet({ authorizationPolicies: [authorizationPolicy({ rules: [{ from: [{ source: { requestPrincipals: ['*'] } }] }] })] }));
    delete e.token.claims?.['sub'];
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toMatch(/no sub/);
  });

  it('fails when a DENY rule matches, naming the Envoy policy id', () => {
    const deny = authorizationPolicy({
      source: { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'block-ops' },
      action: 'DENY',
      rules: [{ when: [{ key: 'request.auth.claims[groups]', values: ['ops'] }] }],
    });
    const r = withPolicies([deny, authorizationPolicy()], { groups: ['ops'] });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('ns[foo]-policy[block-ops]-rule[0]');
  });

  it('warns when the ALLOW rule only matches some paths', () => {
    const r = withPolicies([
      authorizationPolicy({ rules: [{ from: [{ source: { requestPrincipals: ['*'] } }], to: [{ operation: { methods: ['GET'], paths: ['/headers'] } }] }] }),
    ]);
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('allowed only on GET /headers');
  });

  it('evaluates claim conditions and ignores CUSTOM (saying so)', () => {
    const custom = authorizationPolicy({
      source: { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'ext' },
      action: 'CUSTOM',
      rules: [{}],
    });
    const allow = authorizationPolicy({ rules: [{ from: [{ source: { requestPrincipals: ['*'] } }], when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }] }] });
    const r = withPolicies([custom, allow], { groups: ['dev'] });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('when request.auth.claims[groups] wants one of ["admin"]');
    expect(r?.detail).toContain('CUSTOM foo/ext');
  });

  it('an ALLOW policy without rules allows nothing', () => {
    const r = withPolicies([authorizationPolicy({ rules: undefined })]);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toMatch(/has no rules/);
  });
});

describe('token.authorization by Istio version', () => {
  const slashSub = () => {
    const e = healthyEvidence();
    e.token.claims = { ...e.token.claims, sub: 'service-accounts/abc' };
    e.policies = ok(policySet({
      authorizationPolicies: [authorizationPolicy({ rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/service-accounts/abc`] } }] }] })],
    }));
    return e;
  };

  it('matches the whole iss/sub before 1.21: a sub with "/" is allowed', () => {
    const e = slashSub();
    if (e.istio.ok) e.istio.value.version = { major: 1, minor: 20, patch: 8 };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('pass');
  });

  it('splits at the last "/" from 1.21: the same policy no longer matches (istio#52217)', () => {
    const e = slashSub();
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('52217');
  });

  it('still judges when the Istio version could not be read (the 1.21+ way)', () => {
    const e = slashSub();
    e.istio = { ok: false, error: { code: 'forbidden', message: 'may not list pods in istio-system' } };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('fail');
  });
});
