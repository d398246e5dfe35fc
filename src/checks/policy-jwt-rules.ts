// Verifies that at least one JWT rule applies to the workload: a RequestAuthentication whose selector matches the
// pods (or has none) in the namespace or the root namespace, or a legacy Policy targeting the Service.
// istioctl analyze has no "no matching workload" message for RequestAuthentication (only IST0127 for
// AuthorizationPolicy), so a selector typo silently disables JWT (ISTIO-JWT §2.1, §2.4, §6, §7.8).
import { defineCheck } from '../engine/check.js';
import type { Applicability, PolicyRef, PolicySet } from '../evidence/model.js';
import { applyingRules, listSome, plural, policyName, ruleSubject } from './lib/policy.js';

interface Seen extends Applicability {
  source: PolicyRef;
  ruleCount: number;
}

/** The field to change, chosen by the normaliser's reason code (the reason text is for people). */
function fixForReason(seen: Seen, ns: string, service: string): string {
  const name = policyName(seen.source);
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
    case 'target-refs-miss':
      // Ambient with a waypoint: targetRefs is the right field, it only names the wrong object.
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
  const modern: Seen[] = p.requestAuthentications.map((ra) => ({
    source: ra.source,
    applies: ra.applies,
    reason: ra.reason,
    ...(ra.reasonCode !== undefined ? { reasonCode: ra.reasonCode } : {}),
    ruleCount: ra.ruleKeys.length,
  }));
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
  run(evidence, ctx) {
    const { namespace: ns, service } = ctx.target;
    const policies = evidence.policies.ok ? evidence.policies.value : undefined;
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
    const fixes = [...new Set(seen.map((s) => fixForReason(s, ns, service)))];
    return {
      status: 'fail',
      detail: `No JWT rule applies to ${service}: ${listSome(described, 3)}.${apText}`,
      fix: `${fixes.slice(0, 3).join('; or ')}.`,
    };
  },
});
