/**
 * AuthorizationPolicy semantics that matter for tokens (ISTIO-JWT §2.2, §2.3): whether a rule can match a request
 * that carries no token, and whether a rule matches every request.
 */
import type { AuthorizationPolicyInfo, AuthorizationRule } from '../../model/index.js';

const nonEmpty = (xs: readonly unknown[] | undefined): boolean => (xs?.length ?? 0) > 0;

/**
 * True when a tokenless request can never match this ALLOW rule: every `from` entry needs a request principal,
 * or a `when` needs a value of a request.auth.* attribute (absent without a token).
 * notRequestPrincipals / notValues do match a tokenless request, so they do not count.
 */
export function allowRuleNeedsToken(rule: AuthorizationRule): boolean {
  const from = rule.from ?? [];
  const fromNeeds = from.length > 0 && from.every((f) => nonEmpty(f.source?.requestPrincipals));
  const whenNeeds = (rule.when ?? []).some((c) => c.key.startsWith('request.auth.') && nonEmpty(c.values));
  return fromNeeds || whenNeeds;
}

/**
 * True when this DENY rule rejects tokenless requests: a `from` entry with notRequestPrincipals, or a `when` with
 * notValues on request.auth.principal. `scoped` tells whether `to`/other conditions narrow it to some requests.
 */
export function denyRuleRejectsTokenless(rule: AuthorizationRule): { rejects: boolean; scoped: boolean } {
  const from = rule.from ?? [];
  const viaFrom = from.some((f) => nonEmpty(f.source?.notRequestPrincipals));
  const viaWhen = (rule.when ?? []).some((c) => c.key === 'request.auth.principal' && nonEmpty(c.notValues));
  const otherWhen = (rule.when ?? []).some((c) => !(c.key === 'request.auth.principal' && nonEmpty(c.notValues)));
  const otherFrom = from.some((f) => {
    const s = f.source ?? {};
    return Object.entries(s).some(([k, v]) => k !== 'notRequestPrincipals' && nonEmpty(v as unknown[] | undefined));
  });
  return { rejects: viaFrom || viaWhen, scoped: nonEmpty(rule.to) || otherWhen || otherFrom };
}

/** A rule with no from/to/when matches every request. */
export function ruleMatchesEverything(rule: AuthorizationRule): boolean {
  return !nonEmpty(rule.from) && !nonEmpty(rule.to) && !nonEmpty(rule.when);
}

/** "paths /healthz, methods GET" — what narrows a rule, for details. */
export function describeOperations(rule: AuthorizationRule): string {
  const parts: string[] = [];
  for (const t of rule.to ?? []) {
    const op = t.operation ?? {};
    for (const [k, v] of Object.entries(op)) {
      if (Array.isArray(v) && v.length > 0) parts.push(`${k} ${v.join('|')}`);
    }
  }
  return parts.join(', ');
}

/** Envoy's RBAC policy id for a rule (ISTIO-JWT §2.3): ns[<ns>]-policy[<name>]-rule[<i>]. */
export function rbacPolicyId(ap: AuthorizationPolicyInfo, index: number): string {
  return `ns[${ap.source.namespace ?? ''}]-policy[${ap.source.name}]-rule[${index}]`;
}
