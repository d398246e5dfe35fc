// Verifies that, with the modern API, an AuthorizationPolicy on the workload rejects requests that carry no token.
// A RequestAuthentication alone only rejects bad tokens; a request with NO token passes (Envoy allow_missing) and
// only an ALLOW with requestPrincipals or a DENY with notRequestPrincipals stops it (ISTIO-JWT §2.2, §2.3, §7.7).
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import type { AuthorizationPolicyInfo, PolicyRef, PolicySet, RequestAuthenticationInfo } from '../model/index.js';
import { allowRuleNeedsToken, denyRuleRejectsTokenless, describeOperations } from './lib/authz.js';
import { listSome, policyName } from './lib/policy.js';

function requireJwtYaml(ns: string, service: string, ra: RequestAuthenticationInfo | undefined): string {
  const lines = [
    'apiVersion: security.istio.io/v1',
    'kind: AuthorizationPolicy',
    'metadata:',
    `  name: ${service}-require-jwt`,
    `  namespace: ${ra?.source.namespace ?? ns}`,
    'spec:',
  ];
  if (ra?.selector && Object.keys(ra.selector).length > 0) {
    lines.push(`  selector:   # same as ${policyName(ra.source)}`, '    matchLabels:');
    for (const [k, v] of Object.entries(ra.selector)) lines.push(`      ${k}: ${v}`);
  } else if (ra && ra.targetRefs.length > 0) {
    lines.push(`  targetRefs:   # same as ${policyName(ra.source)}`);
    for (const t of ra.targetRefs) {
      lines.push(`  - kind: ${t.kind}`, `    name: ${t.name}`);
      if (t.group !== undefined) lines.push(`    group: "${t.group}"`);
    }
  }
  lines.push('  action: ALLOW', '  rules:', '  - from:', '    - source:', '        requestPrincipals: ["*"]');
  return lines.join('\n');
}

/** The RequestAuthentication whose selector the fix should copy: one in the target namespace first. */
function modelRa(p: PolicySet, ns: string): RequestAuthenticationInfo | undefined {
  const applying = p.requestAuthentications.filter((ra) => ra.applies && ra.ruleKeys.length > 0);
  return applying.find((ra) => ra.source.namespace === ns) ?? applying[0];
}

function editCommand(ref: PolicyRef | undefined): string {
  if (!ref) return 'kubectl get policies.authentication.istio.io -A';
  return ref.kind === 'MeshPolicy' ? `kubectl edit meshpolicies ${ref.name}` : `kubectl edit policies.authentication.istio.io ${ref.name} -n ${ref.namespace ?? ''}`;
}

/**
 * Without a modern rule, only a legacy Policy/MeshPolicy (Istio < 1.6) can validate tokens. Its origins reject a
 * tokenless request with 401 by themselves, unless `originIsOptional: true`, which lets it through (ISTIO-JWT §1.2–1.3).
 */
function legacyOutcome(policies: PolicySet): CheckOutcome {
  const legacyRuleKeys = new Set(policies.jwtRules.filter((r) => r.applies && r.api === 'legacy').map((r) => r.key));
  const legacy = policies.legacy.policies.filter((lp) => lp.applies && lp.ruleKeys.some((k) => legacyRuleKeys.has(k)));
  if (legacy.length === 0) return { status: 'skip', detail: 'No JWT rule applies: see policy.jwt-rules.' };
  const optional = legacy.filter((lp) => lp.originIsOptional);
  if (optional.length > 0) {
    const names = listSome(optional.map((lp) => policyName(lp.source)), 2);
    return {
      status: 'warn',
      detail: `Legacy ${names} sets originIsOptional: true: requests with NO token (or one that fails origin authentication) are let through; only a token that is present gets a principal.`,
      fix: `Remove originIsOptional (or set it to false) in ${names}, so origin authentication rejects tokenless requests with 401 (${editCommand(optional[0]?.source)}).`,
    };
  }
  const names = listSome(legacy.map((lp) => policyName(lp.source)), 2);
  return {
    status: 'skip',
    detail: `Only legacy origins apply (${names}, originIsOptional false): they reject tokenless requests with 401 by themselves, no AuthorizationPolicy needed.`,
  };
}

export default defineCheck({
  id: 'policy.require-token',
  title: 'An AuthorizationPolicy rejects requests without a token',
  docs: 'https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/',
  needs: ['policies'],
  run(evidence, ctx) {
    const { namespace: ns, service } = ctx.target;
    const policies = evidence.policies.ok ? evidence.policies.value : undefined;
    if (!policies) return { status: 'skip', detail: 'No policy evidence.' };
    if (!policies.jwtRules.some((r) => r.applies && r.api === 'modern')) return legacyOutcome(policies);
    const aps = policies.authorizationPolicies.filter((ap) => ap.applies);
    const allow = aps.filter((ap) => ap.action === 'ALLOW');
    const deny = aps.filter((ap) => ap.action === 'DENY');
    const custom = aps.filter((ap) => ap.action === 'CUSTOM');
    const fix = `Apply an AuthorizationPolicy that requires a principal:\n${requireJwtYaml(ns, service, modelRa(policies, ns))}`;

    // DENY with notRequestPrincipals: tokenless requests are rejected regardless of ALLOW policies.
    const denyHits = deny.flatMap((ap) => (ap.rules ?? []).map((r) => ({ ap, r, ...denyRuleRejectsTokenless(r) }))).filter((h) => h.rejects);
    const globalDeny = denyHits.find((h) => !h.scoped);
    if (globalDeny) {
      return { status: 'pass', detail: `DENY ${policyName(globalDeny.ap.source)} rejects requests without a request principal (403 RBAC: access denied).` };
    }

    const allowRules = allow.flatMap((ap) => (ap.rules ?? []).map((r, i) => ({ ap, r, i })));
    const needing = allowRules.filter((x) => allowRuleNeedsToken(x.r));
    const open = allowRules.filter((x) => !allowRuleNeedsToken(x.r));
    const name = (x: { ap: AuthorizationPolicyInfo; i: number }): string => `${policyName(x.ap.source)} rule[${x.i}]`;
    const customNote = custom.length > 0 ? ` (CUSTOM ${listSome(custom.map((ap) => policyName(ap.source)), 2)} delegates to ext_authz, which is not a principal requirement)` : '';

    if (allow.length > 0 && open.length === 0) {
      if (needing.length === 0) {
        return {
          status: 'pass',
          detail: `ALLOW ${listSome(allow.map((ap) => policyName(ap.source)), 2)} has no rules, so it denies every request, with or without a token (see policy.conflicts).`,
        };
      }
      return { status: 'pass', detail: `Every ALLOW rule needs a request principal (${listSome(needing.map(name), 3)}): requests without a token get 403.` };
    }
    if (allow.length > 0 && needing.length > 0 && open.every((x) => (x.r.to ?? []).length > 0)) {
      const where = open.map((x) => `${name(x)}: ${describeOperations(x.r) || 'some operations'}`);
      return {
        status: 'pass',
        detail: `ALLOW rules require a request principal (${listSome(needing.map(name), 2)}), except tokenless access allowed on purpose by ${listSome(where, 2)}.`,
      };
    }
    if (open.length > 0) {
      return {
        status: 'warn',
        detail: `${listSome(open.map(name), 3)} ${open.length === 1 ? 'allows' : 'allow'} requests with NO token (no requestPrincipals and no request.auth.* condition)${customNote}: RequestAuthentication alone only rejects bad tokens.`,
        fix: `Add from: [{source: {requestPrincipals: ["*"]}}] to ${listSome(open.map(name), 2)}, or narrow it with to.operation.paths. Or: ${fix}`,
      };
    }
    const scopedDeny = denyHits.map((h) => `${policyName(h.ap.source)} (${describeOperations(h.r) || 'scoped by conditions'})`);
    const scopedNote = scopedDeny.length > 0 ? ` DENY ${listSome(scopedDeny, 2)} requires one only for some requests.` : '';
    return {
      status: 'warn',
      detail: `No AuthorizationPolicy requires a request principal${customNote}: requests with NO token are let through — RequestAuthentication alone only rejects bad tokens.${scopedNote}`,
      fix,
    };
  },
});
