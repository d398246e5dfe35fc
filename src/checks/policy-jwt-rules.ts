// Verifies that at least one JWT rule applies to the workload: a RequestAuthentication whose selector matches the
// pods (or has none) in the namespace or the root namespace, or a legacy Policy targeting the Service.
// istioctl analyze has no "no matching workload" message for RequestAuthentication (only IST0127 for
// AuthorizationPolicy), so a selector typo silently disables JWT (ISTIO-JWT §2.1, §2.4, §6, §7.8).
import { defineCheck } from '../engine/check.js';
import type { Applicability, Labels, PodInfo, PolicyRef, PolicySet } from '../model/index.js';
import { GATEWAY_NAME_LABELS, gatewayProxy } from '../istio/workload-mode.js';
import { formatSelector } from '../lib/label-selector.js';
import { applyingRules, listSome, plural, policyName, ruleSubject } from './lib/policy.js';

interface Seen extends Applicability {
  source: PolicyRef;
  ruleCount: number;
  /** RequestAuthentication only. */
  selector?: Labels;
  /** RequestAuthentication only: every jwtRules entry has forwardOriginalToken: true. */
  forwardsToken?: boolean;
}

/** What the fixes need to know about the workload besides the policy. */
interface Workload {
  ns: string;
  service: string;
  /** The labels a RequestAuthentication selecting the workload should match (the Service selector). */
  labels?: Labels;
  /** The Gateway API Gateway whose pods back the Service, if any. */
  gateway?: string;
}

const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';

/** A selector aimed at an Istio gateway's pods (istio=ingressgateway, app=istio-ingressgateway, gateway-name labels). */
function selectsGateway(selector: Labels | undefined): boolean {
  if (!selector) return false;
  return (
    /gateway$/.test(selector['istio'] ?? '') ||
    /^istio-.*gateway$/.test(selector['app'] ?? '') ||
    GATEWAY_NAME_LABELS.some((l) => selector[l] !== undefined)
  );
}

/**
 * ISTIO-JWT §7 items 8–9: an RA on the ingress gateway validates tokens there, not at the workload's sidecar, and
 * by default strips the token (forwardOriginalToken false) — so an AuthorizationPolicy on the workload that needs a
 * principal sees none. The fix is a second RA on the workload, not moving the gateway's selector.
 */
function gatewayRaFix(seen: Seen, w: Workload): string {
  const name = policyName(seen.source);
  const labels = w.labels && Object.keys(w.labels).length > 0 ? w.labels : { app: w.service };
  const forward = seen.forwardsToken
    ? `(${name} already sets forwardOriginalToken: true, so the token reaches the sidecar)`
    : `and set forwardOriginalToken: true on ${name}'s jwtRules, so the gateway forwards the token to the sidecar instead of stripping it`;
  return `${name} selects the ingress gateway (${formatSelector(seen.selector ?? {})}), not ${w.service}: keep it for the gateway, add a RequestAuthentication in ${w.ns} with spec.selector.matchLabels ${formatSelector(labels)} and the same jwtRules (issuer, jwksUri), ${forward}`;
}

/** The field to change, chosen by the normaliser's reason code (the reason text is for people). */
function fixForReason(seen: Seen, w: Workload): string {
  const { ns, service } = w;
  const name = policyName(seen.source);
  if (
    seen.source.kind === 'RequestAuthentication' &&
    !seen.applies &&
    (seen.reasonCode === 'selector-mismatch' || seen.reasonCode === 'other-namespace') &&
    selectsGateway(seen.selector)
  ) {
    return gatewayRaFix(seen, w);
  }
  const bindToGateway = `spec.targetRefs: [{group: ${GATEWAY_API_GROUP}, kind: Gateway, name: ${w.gateway ?? '<gateway>'}}]`;
  if (seen.applies && seen.ruleCount === 0) {
    return seen.source.kind === 'RequestAuthentication'
      ? `add spec.jwtRules (issuer, jwksUri) to ${name}`
      : `add spec.origins[].jwt to ${name}`;
  }
  const bindToService = `spec.targetRefs: [{kind: Service, group: "", name: ${service}}]`;
  switch (seen.reasonCode) {
    case 'legacy-removed':
      return `migrate ${name} to a security.istio.io/v1 RequestAuthentication (see policy.legacy-api)`;
    case 'ambient-without-waypoint':
      return `deploy a waypoint for ${service} (istioctl waypoint apply -n ${ns} --enroll-namespace) and bind ${name} with ${bindToService}`;
    case 'waypoint-ignores-selector':
      return `in ${name}, replace spec.selector with ${bindToService} (waypoints ignore selectors)`;
    case 'gateway-ignores-selector':
      return `in ${name}, replace spec.selector with ${bindToGateway} (selectors on a Gateway API gateway's pods are ineffective, IST0166)`;
    case 'target-refs-on-classic-gateway':
      return `in ${name}, replace spec.targetRefs with spec.selector.matchLabels of the gateway pods (e.g. istio: ingressgateway): a classic gateway is no Gateway API object`;
    case 'target-refs-miss':
      // Gateway API gateway: name its Gateway. Ambient with a waypoint: targetRefs is the right field, it only names the wrong object.
      if (w.gateway) return `in ${name}, set ${bindToGateway}`;
      return `in ${name}, set ${bindToService}, or name the waypoint's Gateway`;
    case 'selector-and-target-refs':
      return `in ${name}, keep only one of spec.selector (sidecars) and spec.targetRefs (waypoints, gateways): they are mutually exclusive`;
    case 'target-refs-on-sidecar':
    case 'target-refs-without-proxy':
      return `in ${name}, replace spec.targetRefs with spec.selector.matchLabels (targetRefs bind only waypoints and gateways, not sidecars)`;
    case 'other-namespace':
      return `move ${name} to namespace ${ns} (or the root namespace for mesh-wide rules)`;
    case 'legacy-port-not-exposed':
      return `in ${name}, set spec.targets[].ports to a port Service ${service} exposes, or drop ports`;
    case 'legacy-target-not-short-name':
    case 'legacy-target-other-service':
      return `set spec.targets[].name of ${name} to the Service's short name ${service}`;
    case 'selector-mismatch':
      return `make spec.selector.matchLabels of ${name} equal to labels the pods carry (kubectl get pods -n ${ns} --show-labels)`;
    default:
      // Overridden or misnamed legacy policies, and hand-built evidence without a code: the reason says what to change.
      return `change ${name} so it selects the workload (${seen.reason})`;
  }
}

function seenPolicies(p: PolicySet): Seen[] {
  const modern: Seen[] = p.requestAuthentications.map((ra) => {
    const rules = p.jwtRules.filter((r) => ra.ruleKeys.includes(r.key));
    return {
      source: ra.source,
      applies: ra.applies,
      reason: ra.reason,
      ...(ra.reasonCode !== undefined ? { reasonCode: ra.reasonCode } : {}),
      ruleCount: ra.ruleKeys.length,
      ...(ra.selector ? { selector: ra.selector } : {}),
      forwardsToken: rules.length > 0 && rules.every((r) => r.forwardOriginalToken),
    };
  });
  const legacy: Seen[] = p.legacy.policies.map((lp) => ({
    source: lp.source,
    applies: lp.applies,
    reason: lp.reason,
    ...(lp.reasonCode !== undefined ? { reasonCode: lp.reasonCode } : {}),
    ruleCount: lp.ruleKeys.length,
  }));
  return [...modern, ...legacy];
}

function requiresPrincipal(p: PolicySet): string[] {
  return p.authorizationPolicies
    .filter((ap) => ap.applies && (ap.action === 'ALLOW' || ap.action === 'DENY'))
    .filter((ap) =>
      (ap.rules ?? []).some(
        (r) =>
          (r.from ?? []).some((f) => (f.source?.requestPrincipals?.length ?? 0) > 0 || (f.source?.notRequestPrincipals?.length ?? 0) > 0) ||
          (r.when ?? []).some((c) => c.key.startsWith('request.auth.')),
      ),
    )
    .map((ap) => policyName(ap.source));
}

export default defineCheck({
  id: 'policy.jwt-rules',
  title: 'A JWT rule applies to the workload',
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies'],
  uses: ['service', 'pods'],
  run(evidence, ctx) {
    const { namespace: ns, service } = ctx.target;
    const policies = evidence.policies.ok ? evidence.policies.value : undefined;
    const workload = workloadOf(ns, service, evidence.service.ok ? evidence.service.value.service?.selector : undefined, evidence.pods.ok ? evidence.pods.value : []);
    if (!policies) return { status: 'skip', detail: 'No policy evidence.' };
    const rules = applyingRules(policies);
    if (rules.length > 0) {
      const bySource = new Map<string, { reason: string; issuers: string[] }>();
      for (const r of rules) {
        const key = policyName(r.source);
        const entry = bySource.get(key) ?? { reason: r.reason, issuers: [] };
        entry.issuers.push(ruleSubject(r));
        bySource.set(key, entry);
      }
      const parts = [...bySource].map(([name, e]) => `${name} (${e.reason}): ${plural(e.issuers.length, 'rule')} for ${listSome(e.issuers, 3)}`);
      return { status: 'pass', detail: `${plural(rules.length, 'JWT rule')} ${rules.length === 1 ? 'applies' : 'apply'} — ${listSome(parts, 3)}.` };
    }

    const seen = seenPolicies(policies);
    const apNote = requiresPrincipal(policies);
    const apText = apNote.length > 0
      ? ` Meanwhile ${listSome(apNote, 2)} ${apNote.length === 1 ? 'requires' : 'require'} a request principal, so every request gets 403 RBAC: access denied.`
      : '';
    if (seen.length === 0) {
      return {
        status: 'fail',
        detail: `No RequestAuthentication in ${ns} or the root namespace and no legacy Policy: nothing validates tokens for ${service}.${apText}`,
        fix: [
          'Apply a RequestAuthentication next to the workload (use your IdP\'s issuer and keys URL):',
          'apiVersion: security.istio.io/v1',
          'kind: RequestAuthentication',
          'metadata:',
          `  name: ${service}-jwt`,
          `  namespace: ${ns}`,
          'spec:',
          '  selector:',
          '    matchLabels:',
          `      app: ${service}   # the pods' labels`,
          '  jwtRules:',
          '  - issuer: "https://idp.example.com/realms/main"',
          '    jwksUri: "https://idp.example.com/realms/main/protocol/openid-connect/certs"',
        ].join('\n'),
      };
    }
    const described = seen.map((s) =>
      s.applies ? `${policyName(s.source)} applies but has no JWT rule` : `${policyName(s.source)}: ${s.reason}`,
    );
    const fixes = [...new Set(seen.map((s) => fixForReason(s, workload)))];
    return {
      status: 'fail',
      detail: `No JWT rule applies to ${service}: ${listSome(described, 3)}.${apText}`,
      fix: `${fixes.slice(0, 3).join('; or ')}.`,
    };
  },
});

function workloadOf(ns: string, service: string, selector: Labels | undefined, pods: PodInfo[]): Workload {
  const gateway = pods.map(gatewayProxy).find((g) => g?.gateway !== undefined)?.gateway;
  return { ns, service, ...(selector ? { labels: selector } : {}), ...(gateway ? { gateway } : {}) };
}
