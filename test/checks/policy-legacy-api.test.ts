import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-legacy-api.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, policySet } from '../support/evidence.js';
import type { Evidence, IstioInfo, LegacyPolicyInfo } from '../../src/evidence/model.js';

const legacyPolicy: LegacyPolicyInfo = {
  source: { kind: 'Policy', apiVersion: 'authentication.istio.io/v1alpha1', namespace: 'foo', name: 'jwt-example' },
  scope: 'service',
  targets: [{ name: 'httpbin', ports: [] }],
  ruleKeys: ['Policy/foo/jwt-example#0'],
  principalBinding: 'USE_ORIGIN',
  originIsOptional: false,
  hasPeers: false,
  applies: false,
  reason: 'legacy API ignored on Istio 1.22',
};

function withLegacy(istio: Partial<IstioInfo>): Evidence {
  const ev = healthyEvidence();
  ev.policies = ok(policySet({ legacy: { installed: true, policies: [legacyPolicy] } }));
  if (ev.istio.ok) ev.istio = ok({ ...ev.istio.value, ...istio });
  return ev;
}

describe('policy.legacy-api', () => {
  it('passes when the legacy API is not installed', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('not served');
  });

  it('fails when legacy objects exist on Istio >= 1.6', () => {
    const [r] = runCheck(check, withLegacy({}), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Istio 1.22.3 ignores');
    expect(r?.detail).toContain('Policy foo/jwt-example');
    expect(r?.fix).toContain('kubectl get policies.authentication.istio.io -A; kubectl get meshpolicies');
    expect(r?.fix).toContain('RequestAuthentication');
  });

  it('passes on Istio 1.5', () => {
    const [r] = runCheck(check, withLegacy({ tag: '1.5.2', version: { major: 1, minor: 5, patch: 2 } }), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('1.5.2');
  });

  it('warns when the version is unknown', () => {
    const [r] = runCheck(check, withLegacy({ tag: undefined, version: undefined }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('version is unknown');
  });
});
