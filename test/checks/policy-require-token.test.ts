import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-require-token.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { authorizationPolicy, context, healthyEvidence, ok, policySet, rule } from '../support/evidence.js';
import type { AuthorizationPolicyInfo, LegacyPolicyInfo } from '../../src/model/index.js';

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

  describe('legacy origins only (Istio < 1.6)', () => {
    const legacyRule = rule({ key: 'Policy/foo/jwt-example#0', api: 'legacy', source: { kind: 'Policy', apiVersion: 'authentication.istio.io/v1alpha1', namespace: 'foo', name: 'jwt-example' } });
    const legacyPolicy = (originIsOptional: boolean): LegacyPolicyInfo => ({
      source: legacyRule.source,
      scope: 'service',
      targets: [{ name: 'httpbin', ports: [] }],
      ruleKeys: [legacyRule.key],
      originIsOptional,
      hasPeers: false,
      hasOrigins: true,
      applies: true,
      reason: 'targets httpbin (all ports)',
    });
    const legacyEvidence = (optional: boolean) => {
      const ev = healthyEvidence();
      ev.policies = ok(policySet({
        jwtRules: [legacyRule], requestAuthentications: [], authorizationPolicies: [],
        legacy: { installed: true, policies: [legacyPolicy(optional)] },
      }));
      return ev;
    };

    it('warns when originIsOptional: true lets tokenless requests through', () => {
      const [r] = runCheck(check, legacyEvidence(true), context());
      expect(r?.status).toBe('warn');
      expect(r?.detail).toContain('originIsOptional: true');
      expect(r?.detail).toContain('let through');
      expect(r?.fix).toContain('kubectl edit policies.authentication.istio.io jwt-example -n foo');
    });

    it('skips, saying origins reject tokenless requests with 401, when originIsOptional is false', () => {
      const [r] = runCheck(check, legacyEvidence(false), context());
      expect(r?.status).toBe('skip');
      expect(r?.detail).toContain('reject tokenless requests with 401');
      expect(r?.detail).toContain('originIsOptional false');
    });

    it('does not claim legacy origins when no rule applies at all', () => {
      const ev = healthyEvidence();
      ev.policies = ok(policySet({ jwtRules: [] }));
      const [r] = runCheck(check, ev, context());
      expect(r?.detail).not.toContain('legacy');
    });
  });
});
