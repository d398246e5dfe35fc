/**
 * Small pure helpers shared by the workload/policy/issuer checks: naming policies and rules the way users
 * see them in kubectl, picking the rules that apply, and putting lists in words.
 */
import type { CheckOutcome } from '../../engine/check.js';
import type { JwtRule, PolicyRef, PolicySet, Slot, TokenLocation } from '../../model/index.js';

/** "RequestAuthentication foo/jwt-example" (MeshPolicy has no namespace). */
export function policyName(ref: PolicyRef): string {
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** Where a rule is written: "RequestAuthentication foo/jwt-example jwtRules[0]" or "Policy foo/p origins[0]". */
export function ruleOrigin(rule: JwtRule): string {
  const field = rule.api === 'modern' ? 'jwtRules' : 'origins';
  return `${policyName(rule.source)} ${field}[${rule.index}]`;
}

/** DESIGN §3: per-rule results carry the rule's issuer as subject, or its key when it has none. */
export function ruleSubject(rule: JwtRule): string {
  return rule.issuer ?? rule.key;
}

export function applyingRules(policies: PolicySet): JwtRule[] {
  return policies.jwtRules.filter((r) => r.applies);
}

/** How a per-rule result names its rule. */
export interface RuleNames {
  /** The result's subject (DESIGN §3): the rule's issuer, or its key. */
  subject: string;
  /** Where the rule is written, for fixes: "RequestAuthentication foo/jwt jwtRules[0]". */
  origin: string;
  /** The keys-URL field as the rule's API spells it. */
  keysField: 'jwksUri' | 'jwks_uri';
}

export function ruleNames(rule: JwtRule): RuleNames {
  return { subject: ruleSubject(rule), origin: ruleOrigin(rule), keysField: rule.api === 'modern' ? 'jwksUri' : 'jwks_uri' };
}

/**
 * One outcome per applying JWT rule (DESIGN §3), or one skip when none applies: policy.jwt-rules then
 * says why, so the per-rule checks have nothing to add.
 */
export function perApplyingRule(
  policies: Slot<PolicySet>,
  judge: (rule: JwtRule, names: RuleNames) => CheckOutcome,
): CheckOutcome | CheckOutcome[] {
  const rules = policies.ok ? applyingRules(policies.value) : [];
  if (rules.length === 0) return { status: 'skip', detail: 'No JWT rule applies: see policy.jwt-rules.' };
  return rules.map((rule) => judge(rule, ruleNames(rule)));
}

/** "Authorization: Bearer …", "?access_token", "cookie session" — as a user would write the request. */
export function describeLocation(loc: TokenLocation): string {
  switch (loc.in) {
    case 'header':
      return loc.prefix ? `${loc.name}: ${loc.prefix}…` : `${loc.name}: <token>`;
    case 'param':
      return `?${loc.name}=…`;
    case 'cookie':
      return `cookie ${loc.name}`;
  }
}

/** Envoy's default when a rule names no location (envoyproxy/envoy jwt_authn extractor.cc). */
export const DEFAULT_LOCATIONS: readonly TokenLocation[] = [
  { in: 'header', name: 'Authorization', prefix: 'Bearer ' },
  { in: 'param', name: 'access_token' },
];

/** Text list with "and N more" so details stay on one line. */
export function listSome(items: readonly string[], max = 4): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/**
 * Locations that replace the default when a rule names any: Envoy reads `Authorization: Bearer` and `?access_token`
 * only for a provider without from_headers/from_params/from_cookies (envoyproxy/envoy
 * source/extensions/filters/http/jwt_authn/extractor.cc `addProvider`: "If not specified, use default locations";
 * legacy: istio/proxy 1.0.6 src/envoy/http/jwt_auth/token_extractor.cc `use_default`). Undefined when the rule still
 * reads the standard header (modern `Authorization` with prefix "Bearer "); legacy jwt_headers take the raw value,
 * so a legacy rule with any location never reads `Bearer <jwt>`.
 */
export function customLocationsOnly(rule: JwtRule): TokenLocation[] | undefined {
  if (rule.locations.length === 0) return undefined;
  const standard = rule.api === 'modern' && rule.locations.some((l) => l.in === 'header' && l.name.toLowerCase() === 'authorization' && l.prefix === 'Bearer ');
  return standard ? undefined : rule.locations;
}

/** How a client sends the token to one location: `x-jwt: Bearer <jwt>`, `?token=<jwt>`, `Cookie: session=<jwt>`. */
export function howToSend(loc: TokenLocation, api: JwtRule['api']): string {
  switch (loc.in) {
    case 'header':
      return `${loc.name}: ${api === 'modern' && loc.prefix ? loc.prefix : ''}<jwt>`;
    case 'param':
      return `?${loc.name}=<jwt>`;
    case 'cookie':
      return `Cookie: ${loc.name}=<jwt>`;
  }
}
