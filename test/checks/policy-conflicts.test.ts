import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-conflicts.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { authorizationPolicy, context, healthyEvidence, ISSUER, ok, policySet, requestAuthentication, rule } from '../support/evidence.js';
import type { LegacyPolicyInfo } from '../../src/model/index.js';

const meshRa = requestAuthentication({
  source: { kind: 'RequestAuthentication', apiVersion: 'security.istio.io/v1', namespace: 'istio-system', name: 'mesh-jwt' },
  selector: undefined,
  ruleKeys: ['RequestAuthentication/istio-system/mesh-jwt#0'],
  reason: 'root namespace, no selector: whole mesh',
});
const meshRule = rule({
  key: 'RequestAuthentication/istio-system/mesh-jwt#0',
  source: meshRa.source,
  jwksUri: 'https://issuer.example/other-keys.json',
});

describe('policy.conflicts', () => {
  it('passes with one RequestAuthentication', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('RequestAuthentication foo/jwt-example');
  });

  it('warns when the same issuer has different keys, naming both and the mesh-wide RA', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ jwtRules: [rule(), meshRule], requestAuthentications: [requestAuthentication(), meshRa] }));
    const results = runCheck(check, ev, context());
    expect(results).toHaveLength(1);
    const [r] = results;
    expect(r?.status).toBe('warn');
    expect(r?.subject).toBe(ISSUER);
    expect(r?.detail).toContain('RequestAuthentication foo/jwt-example jwtRules[0]');
    expect(r?.detail).toContain('RequestAuthentication istio-system/mesh-jwt jwtRules[0]');
    expect(r?.detail).toContain('keys');
    expect(r?.detail).toContain('mesh-wide');
    expect(r?.fix).toContain('Keep one jwtRules entry');
  });

  it('passes with a note when several RAs merge without conflict', () => {
    const ev = healthyEvidence();
    const other = rule({ ...meshRule, issuer: 'https://other.example', jwksUri: 'https://other.example/jwks' });
    ev.policies = ok(policySet({ jwtRules: [rule(), other], requestAuthentications: [requestAuthentication(), meshRa] }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('2 RequestAuthentications merged');
    expect(r?.detail).toContain('mesh-wide');
  });

  it('warns on a DENY rule that matches every request', () => {
    const ev = healthyEvidence();
    const deny = authorizationPolicy({
      action: 'DENY',
      source: { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'deny-all' },
      rules: [{}],
    });
    ev.policies = ok(policySet({ authorizationPolicies: [authorizationPolicy(), deny] }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('DENY AuthorizationPolicy foo/deny-all rules[0]');
    expect(r?.detail).toContain('ns[foo]-policy[deny-all]-rule[0]');
  });

  it('warns on an ALLOW policy without rules', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ authorizationPolicies: [authorizationPolicy({ rules: undefined })] }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('has no rules');
    expect(r?.detail).toContain('[none]');
  });

  it('warns when several service-specific legacy Policies target the Service', () => {
    const lp = (name: string): LegacyPolicyInfo => ({
      source: { kind: 'Policy', apiVersion: 'authentication.istio.io/v1alpha1', namespace: 'foo', name },
      scope: 'service',
      targets: [{ name: 'httpbin', ports: [] }],
      ruleKeys: [],
      originIsOptional: false,
      hasPeers: true,
      applies: true,
      reason: 'targets Service httpbin',
    });
    const loser: LegacyPolicyInfo = {
      ...lp('b'),
      applies: false,
      reason: 'another service-specific Policy (a) also targets httpbin: Istio picks one at random',
    };
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ legacy: { installed: true, policies: [lp('a'), loser] } }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('Policy foo/a');
    expect(r?.detail).toContain('arbitrarily');
  });

  it('passes with a note when an allow-nothing policy sits next to an ALLOW policy with rules (ALLOW is OR-ed)', () => {
    const ev = healthyEvidence();
    const allowNothing = authorizationPolicy({
      source: { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', namespace: 'istio-system', name: 'allow-nothing' },
      selector: undefined,
      rules: undefined,
    });
    ev.policies = ok(policySet({ authorizationPolicies: [allowNothing, authorizationPolicy()] }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('AuthorizationPolicy istio-system/allow-nothing has no rules (default deny)');
    expect(r?.detail).toContain('AuthorizationPolicy foo/require-jwt allows');
  });

  it('still warns when the only other ALLOW policy has no rules either', () => {
    const ev = healthyEvidence();
    const other = authorizationPolicy({ source: { kind: 'AuthorizationPolicy', apiVersion: 'security.istio.io/v1', namespace: 'foo', name: 'empty' }, rules: [] });
    ev.policies = ok(policySet({ authorizationPolicies: [authorizationPolicy({ rules: undefined }), other] }));
    const results = runCheck(check, ev, context());
    expect(results.map((r) => r.status)).toEqual(['warn', 'warn']);
    expect(results[0]?.detail).toContain('no other ALLOW policy that applies has rules');
  });
});
