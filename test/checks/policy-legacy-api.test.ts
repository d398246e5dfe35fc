import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-legacy-api.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, policySet } from '../support/evidence.js';
import type { Evidence, IstioInfo, LegacyPolicyInfo } from '../../src/model/index.js';

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

  const meshPeersOnly: LegacyPolicyInfo = {
    source: { kind: 'MeshPolicy', apiVersion: 'authentication.istio.io/v1alpha1', name: 'default' },
    scope: 'mesh',
    targets: [],
    ruleKeys: [],
    originIsOptional: false,
    hasPeers: true,
    hasOrigins: false,
    applies: false,
    reason: 'Istio 1.22 ignores authentication.istio.io policies (removed in 1.6)',
    reasonCode: 'legacy-removed',
  };
  const withPolicies = (policies: LegacyPolicyInfo[]): Evidence => {
    const ev = healthyEvidence();
    ev.policies = ok(policySet({ legacy: { installed: true, policies } }));
    return ev;
  };

  it('only warns about a leftover MeshPolicy default with peers mTLS only: dead config, nobody relies on it for JWT', () => {
    const [r] = runCheck(check, withPolicies([meshPeersOnly]), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('MeshPolicy default');
    expect(r?.detail).toContain('dead config');
    expect(r?.fix).toContain('kubectl delete meshpolicies default');
  });

  it('only warns about origins that target another Service or a misnamed namespace Policy', () => {
    const other: LegacyPolicyInfo = { ...legacyPolicy, hasOrigins: true, targets: [{ name: 'productpage', ports: [] }] };
    const misnamed: LegacyPolicyInfo = { ...legacyPolicy, source: { ...legacyPolicy.source, name: 'jwt-all' }, scope: 'namespace', targets: [] };
    const [r] = runCheck(check, withPolicies([other, misnamed]), context());
    expect(r?.status).toBe('warn');
  });

  it('fails when a mesh-wide MeshPolicy default holds origins, and lists the dead rest', () => {
    const meshJwt: LegacyPolicyInfo = { ...meshPeersOnly, hasOrigins: true, ruleKeys: ['MeshPolicy//default#0'] };
    const other: LegacyPolicyInfo = { ...legacyPolicy, targets: [{ name: 'productpage', ports: [] }] };
    const [r] = runCheck(check, withPolicies([meshJwt, other]), context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('MeshPolicy default still holds JWT origins for httpbin');
    expect(r?.detail).toContain('Also dead config: Policy foo/jwt-example');
  });

  it('fails for the namespace default Policy with origins', () => {
    const nsDefault: LegacyPolicyInfo = { ...legacyPolicy, source: { ...legacyPolicy.source, name: 'default' }, scope: 'namespace', targets: [], hasOrigins: true };
    expect(runCheck(check, withPolicies([nsDefault]), context())[0]?.status).toBe('fail');
  });
});
