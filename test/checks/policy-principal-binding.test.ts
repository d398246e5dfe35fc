import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-principal-binding.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, policySet } from '../support/evidence.js';
import type { LegacyPolicyInfo } from '../../src/model/index.js';

function legacy(principalBinding: string | undefined): LegacyPolicyInfo {
  return {
    source: { kind: 'Policy', apiVersion: 'authentication.istio.io/v1alpha1', namespace: 'foo', name: 'jwt-example' },
    scope: 'service',
    targets: [{ name: 'httpbin', ports: [] }],
    ruleKeys: ['Policy/foo/jwt-example#0'],
    principalBinding,
    originIsOptional: false,
    hasPeers: false,
    applies: true,
    reason: 'targets Service httpbin',
  };
}

describe('policy.principal-binding', () => {
  it('skips without legacy policies', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('skip');
  });

  it('passes with USE_ORIGIN', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ legacy: { installed: true, policies: [legacy('USE_ORIGIN')] } }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('USE_ORIGIN');
  });

  it('fails when unset, explaining it does not change accept/reject', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ legacy: { installed: true, policies: [legacy(undefined)] } }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('unset (USE_PEER)');
    expect(r?.detail).toContain('accept/reject is unchanged');
    expect(r?.fix).toContain('principalBinding: USE_ORIGIN');
  });

  it('fails with USE_PEER', () => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ legacy: { installed: true, policies: [legacy('USE_PEER')] } }));
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('USE_PEER');
  });
});
