import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-jwt-rules.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, policySet, requestAuthentication, rule } from '../support/evidence.js';

describe('policy.jwt-rules', () => {
  it('passes naming the policy and rule count', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('RequestAuthentication foo/jwt-example');
    expect(r?.detail).toContain('1 rule for https://issuer.example');
  });

  it('fails with a YAML snippet when there is no policy at all', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ jwtRules: [], requestAuthentications: [], authorizationPolicies: [] }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('No RequestAuthentication in foo');
    expect(r?.detail).toContain('no legacy Policy');
    expect(r?.fix).toContain('kind: RequestAuthentication');
    expect(r?.fix).toContain('jwtRules:');
  });

  it('fails on a selector mismatch, says why and which field to change, and predicts 403', () => {
    const reason = 'selector wants app=httpbin-v2, pods have app=httpbin';
    const ev = healthyEvidence();
    ev.policies = ok(
      policySet({
        jwtRules: [rule({ applies: false, reason })],
        requestAuthentications: [requestAuthentication({ selector: { app: 'httpbin-v2' }, applies: false, reason })],
      }),
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('RequestAuthentication foo/jwt-example: selector wants app=httpbin-v2');
    expect(r?.detail).toContain('403');
    expect(r?.fix).toContain('spec.selector.matchLabels');
  });

  it('points targetRefs on a sidecar workload to selector', () => {
    const reason = "targetRefs binds to a Gateway/waypoint, not to this workload's sidecar; use selector (targets Service httpbin)";
    const ev = healthyEvidence();
    ev.policies = ok(
      policySet({
        jwtRules: [rule({ applies: false, reason })],
        requestAuthentications: [
          requestAuthentication({ selector: undefined, targetRefs: [{ kind: 'Service', name: 'httpbin' }], applies: false, reason }),
        ],
      }),
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.fix).toContain('replace spec.targetRefs with spec.selector.matchLabels');
  });

  it('fails when a RequestAuthentication applies but has no jwtRules', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ jwtRules: [], requestAuthentications: [requestAuthentication({ ruleKeys: [] })] }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('applies but has no JWT rule');
    expect(r?.fix).toContain('add spec.jwtRules');
  });

  it('tells to switch to targetRefs when a waypoint ignores the selector', () => {
    const reason = 'waypoint waypoint ignores selector-based policies; bind it with targetRefs (kind Service, name httpbin)';
    const ev = healthyEvidence();
    ev.policies = ok(
      policySet({
        jwtRules: [rule({ applies: false, reason })],
        requestAuthentications: [requestAuthentication({ applies: false, reason })],
      }),
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.fix).toContain('replace spec.selector with spec.targetRefs');
  });

  it('suggests moving a policy from another namespace', () => {
    const reason = 'lives in namespace bar; only policies in foo or the root namespace istio-system can apply';
    const ev = healthyEvidence();
    ev.policies = ok(
      policySet({
        jwtRules: [rule({ applies: false, reason })],
        requestAuthentications: [requestAuthentication({ applies: false, reason })],
      }),
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.fix).toContain('move RequestAuthentication foo/jwt-example to namespace foo');
  });
});
