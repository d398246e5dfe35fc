import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-jwt-rules.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { ApplicabilityCode, Evidence, RequestAuthenticationInfo } from '../../src/model/index.js';
import { context, healthyEvidence, ok, pod, policySet, requestAuthentication, rule } from '../support/evidence.js';

/** The healthy workload, except that its one RequestAuthentication (and so its rule) does not apply. */
function notApplying(reason: string, reasonCode?: ApplicabilityCode, ra: Partial<RequestAuthenticationInfo> = {}): Evidence {
  const code = reasonCode === undefined ? {} : { reasonCode };
  const ev = healthyEvidence();
  ev.policies = ok(
    policySet({
      jwtRules: [rule({ applies: false, reason, ...code })],
      requestAuthentications: [requestAuthentication({ ...ra, applies: false, reason, ...code })],
    }),
  );
  return ev;
}

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
    const ev = notApplying(
      'selector wants app=httpbin-v2, pods have app=httpbin', 'selector-mismatch', { selector: { app: 'httpbin-v2' } },
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('RequestAuthentication foo/jwt-example: selector wants app=httpbin-v2');
    expect(r?.detail).toContain('403');
    expect(r?.fix).toContain('spec.selector.matchLabels');
  });

  it('points targetRefs on a sidecar workload to selector', () => {
    const ev = notApplying(
      "targetRefs binds to a Gateway/waypoint, not to this workload's sidecar; use selector (targets Service httpbin)", 'target-refs-on-sidecar', { selector: undefined, targetRefs: [{ kind: 'Service', name: 'httpbin' }] },
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
    const ev = notApplying(
      'waypoint waypoint ignores selector-based policies; bind it with targetRefs (kind Service, name httpbin)', 'waypoint-ignores-selector',
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.fix).toContain('replace spec.selector with spec.targetRefs');
  });

  it('suggests moving a policy from another namespace', () => {
    const ev = notApplying(
      'lives in namespace bar; only policies in foo or the root namespace istio-system can apply', 'other-namespace',
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.fix).toContain('move RequestAuthentication foo/jwt-example to namespace foo');
  });

  // Bug: the fix was guessed from the reason text, and "reports" contains "port".
  it('gives the selector fix, not the ports fix, when the selector names a label like app=reports', () => {
    const ev = notApplying(
      'selector wants app=reports, pods have app=httpbin', 'selector-mismatch', { selector: { app: 'reports' } },
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.fix).toContain('make spec.selector.matchLabels of RequestAuthentication foo/jwt-example equal to labels the pods carry');
    expect(r?.fix).not.toContain('ports');
  });

  // Bug: any reason mentioning targetRefs got the sidecar advice, wrong behind a waypoint.
  it('on an ambient workload with a waypoint, points targetRefs at the Service instead of replacing it with selector', () => {
    const ev = notApplying(
      'targetRefs names Service productpage: neither Service httpbin in foo nor its waypoint waypoint', 'target-refs-miss', { selector: undefined, targetRefs: [{ kind: 'Service', name: 'productpage' }] },
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('neither Service httpbin in foo nor its waypoint');
    expect(r?.fix).toContain('set spec.targetRefs: [{kind: Service, group: "", name: httpbin}]');
    expect(r?.fix).not.toContain('spec.selector');
  });

  it('asks to keep only one of selector and targetRefs when both are set', () => {
    const ev = notApplying(
      'sets both selector and targetRefs, which are mutually exclusive (istiod validation rejects it)', 'selector-and-target-refs', { targetRefs: [{ kind: 'Service', name: 'httpbin' }] },
    );
    const [r] = runCheck(check, ev, context());
    expect(r?.fix).toContain('keep only one of spec.selector (sidecars) and spec.targetRefs');
  });

  it('falls back to the reason itself when the evidence carries no reason code', () => {
    const reason = 'selector wants app=reports, pods have app=httpbin';
    const [r] = runCheck(check, notApplying(reason), context());
    expect(r?.fix).toContain(`change RequestAuthentication foo/jwt-example so it selects the workload (${reason})`);
  });

  // ISTIO-JWT §7 items 8–9: the root-namespace RA validates at the ingress gateway, the workload's AP needs a principal.
  describe('a RequestAuthentication on the ingress gateway, none on the workload', () => {
    const gatewayRa = (forwardOriginalToken: boolean): Evidence => {
      const source = { kind: 'RequestAuthentication' as const, apiVersion: 'security.istio.io/v1', namespace: 'istio-system', name: 'ingress-jwt' };
      const reason = 'selector wants istio=ingressgateway, pods have no istio label (root namespace istio-system: the selector matches pods in every namespace)';
      const ev = healthyEvidence();
      ev.policies = ok(policySet({
        jwtRules: [rule({ key: 'RequestAuthentication/istio-system/ingress-jwt#0', source, applies: false, reason, reasonCode: 'selector-mismatch', forwardOriginalToken })],
        requestAuthentications: [requestAuthentication({
          source, selector: { istio: 'ingressgateway' }, ruleKeys: ['RequestAuthentication/istio-system/ingress-jwt#0'], applies: false, reason, reasonCode: 'selector-mismatch',
        })],
      }));
      return ev;
    };

    it('tells to add a RequestAuthentication selecting the workload and to forward the token, not to change the selector', () => {
      const [r] = runCheck(check, gatewayRa(false), context());
      expect(r?.status).toBe('fail');
      expect(r?.detail).toContain('403');
      expect(r?.fix).toContain('add a RequestAuthentication in foo with spec.selector.matchLabels app=httpbin');
      expect(r?.fix).toContain('forwardOriginalToken: true');
      expect(r?.fix).not.toContain('equal to labels the pods carry');
    });

    it('does not ask for forwardOriginalToken when the gateway rule already forwards', () => {
      const [r] = runCheck(check, gatewayRa(true), context());
      expect(r?.fix).toContain('already sets forwardOriginalToken: true');
      expect(r?.fix).not.toContain('and set forwardOriginalToken');
    });
  });

  it('on a Gateway API gateway, replaces an ineffective selector with targetRefs naming the Gateway', () => {
    const ev = notApplying(
      'selector … matches pod web-gw-istio-1, but those are the pods of Gateway API Gateway web-gw: a selector on them is ineffective (istioctl analyze IST0166); use targetRefs',
      'gateway-ignores-selector',
      { selector: { 'gateway.networking.k8s.io/gateway-name': 'web-gw' } },
    );
    ev.pods = ok([pod({ name: 'web-gw-istio-6d8f7c9b5-k2l3m', labels: { 'gateway.networking.k8s.io/gateway-name': 'web-gw' }, containers: ['istio-proxy'], initContainers: [] })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.fix).toContain('replace spec.selector with spec.targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: web-gw}]');
  });

  it('on a classic gateway, replaces targetRefs with a selector', () => {
    const ev = notApplying('targetRefs names Gateway x, but httpbin is a classic Istio gateway', 'target-refs-on-classic-gateway', { selector: undefined, targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'x' }] });
    const [r] = runCheck(check, ev, context());
    expect(r?.fix).toContain('replace spec.targetRefs with spec.selector.matchLabels of the gateway pods');
  });
});
