import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-require-token.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { authorizationPolicy, context, healthyEvidence, ok, policySet } from '../support/evidence.js';
import type { AuthorizationPolicyInfo } from '../../src/evidence/model.js';

function withAps(aps: AuthorizationPolicyInfo[]) {
  const ev = healthyEvidence();
  ev.policies = ok(policySet({ authorizationPolicies: aps }));
  return ev;
}

describe('policy.require-token', () => {
  it('passes with an ALLOW requiring requestPrincipals', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('AuthorizationPolicy foo/require-jwt rule[0]');
  });

  it('warns with a ready YAML fix when no AuthorizationPolicy applies', () => {
    const [r] = runCheck(check, withAps([]), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('requests with NO token are let through');
    expect(r?.fix).toContain('requestPrincipals: ["*"]');
    expect(r?.fix).toContain('app: httpbin');
    expect(r?.fix).toContain('kind: AuthorizationPolicy');
  });

  it('passes with a DENY notRequestPrincipals ["*"]', () => {
    const deny = authorizationPolicy({
      action: 'DENY',
      source: { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'deny-no-jwt' },
      rules: [{ from: [{ source: { notRequestPrincipals: ['*'] } }] }],
    });
    const [r] = runCheck(check, withAps([deny]), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('DENY AuthorizationPolicy foo/deny-no-jwt');
  });

  it('passes with a when on request.auth.claims', () => {
    const ap = authorizationPolicy({ rules: [{ when: [{ key: 'request.auth.claims[groups]', values: ['admin'] }] }] });
    const [r] = runCheck(check, withAps([ap]), context());
    expect(r?.status).toBe('pass');
  });

  it('warns when an ALLOW rule lets tokenless requests match', () => {
    const ap = authorizationPolicy({ rules: [{ from: [{ source: { namespaces: ['bar'] } }] }] });
    const [r] = runCheck(check, withAps([ap]), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('rule[0] allows requests with NO token');
  });

  it('warns when only one of two from entries has requestPrincipals', () => {
    const ap = authorizationPolicy({
      rules: [{ from: [{ source: { requestPrincipals: ['*'] } }, { source: { namespaces: ['foo'] } }] }],
    });
    const [r] = runCheck(check, withAps([ap]), context());
    expect(r?.status).toBe('warn');
  });

  it('passes when a path-scoped open rule sits next to a JWT rule', () => {
    const ap = authorizationPolicy({
      rules: [
        { from: [{ source: { requestPrincipals: ['*'] } }] },
        { to: [{ operation: { paths: ['/healthz'] } }] },
      ],
    });
    const [r] = runCheck(check, withAps([ap]), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('/healthz');
  });

  it('does not count AUDIT or CUSTOM policies', () => {
    const audit = authorizationPolicy({ action: 'AUDIT' });
    const custom = authorizationPolicy({ action: 'CUSTOM', rules: [{}] });
    const [r] = runCheck(check, withAps([audit, custom]), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('CUSTOM');
  });

  it('does not count notRequestPrincipals in an ALLOW rule', () => {
    const ap = authorizationPolicy({ rules: [{ from: [{ source: { notRequestPrincipals: ['bad/*'] } }] }] });
    const [r] = runCheck(check, withAps([ap]), context());
    expect(r?.status).toBe('warn');
  });

  it('skips without an applying RequestAuthentication rule', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ jwtRules: [] }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('skip');
  });
});
