/**
 * JWT rules, modern (`RequestAuthentication.spec.jwtRules[]`, ISTIO-JWT §2.1) and legacy
 * (`Policy.spec.origins[].jwt`, ISTIO-JWT §1.2), into one `JwtRule` shape. Both the camelCase the API
 * server returns and the snake_case the 1.0–1.4 docs wrote (`jwks_uri`, `jwt_headers`) are accepted.
 * A malformed entry keeps its index (so keys match what Envoy calls `origins-<i>`) but yields no rule.
 */
import { asArray, asRecord, asString, asStringArray, field } from '../kube-objects.js';
import type { Applicability, JwtRule, PolicyRef, TokenLocation } from '../../model/index.js';

export function ruleKey(source: PolicyRef, index: number): string {
  return `${source.kind}/${source.namespace ?? ''}/${source.name}#${index}`;
}

export interface ParsedRules {
  rules: JwtRule[];
  /** Why the list itself was unusable, for the policy's reason. */
  problem?: string;
}

export function modernJwtRules(spec: Record<string, unknown> | undefined, source: PolicyRef, applicability: Applicability): ParsedRules {
  const raw = field(spec, 'jwtRules', 'jwt_rules');
  if (raw === undefined) return { rules: [] };
  const list = asArray(raw);
  if (!list) return { rules: [], problem: 'jwtRules is not a list, so it holds no rule' };
  const rules = list.flatMap((entry, index) => {
    const jwt = asRecord(entry);
    if (!jwt) return [];
    return [{
      ...base(source, index, 'modern', jwt, applicability),
      locations: [
        ...headerLocations(field(jwt, 'fromHeaders', 'from_headers')),
        ...named('param', field(jwt, 'fromParams', 'from_params')),
        ...named('cookie', field(jwt, 'fromCookies', 'from_cookies')),
      ],
      forwardOriginalToken: field(jwt, 'forwardOriginalToken', 'forward_original_token') === true,
    }];
  });
  return { rules };
}

export function legacyJwtRules(spec: Record<string, unknown> | undefined, source: PolicyRef, applicability: Applicability): ParsedRules {
  const raw = spec?.['origins'];
  if (raw === undefined) return { rules: [] };
  const list = asArray(raw);
  if (!list) return { rules: [], problem: 'origins is not a list, so it holds no JWT rule' };
  const rules = list.flatMap((entry, index) => {
    const jwt = asRecord(asRecord(entry)?.['jwt']);
    if (!jwt) return [];
    return [{
      ...base(source, index, 'legacy', jwt, applicability),
      // ISTIO-JWT §1.2: jwt_headers carry the raw token, there was no prefix option.
      locations: [
        ...named('header', field(jwt, 'jwtHeaders', 'jwt_headers')),
        ...named('param', field(jwt, 'jwtParams', 'jwt_params')),
      ],
      // The legacy API had no such switch; Pilot's jwt-auth filter forwarded by itself (`forward: true`, §1.4),
      // but the model field means the modern opt-in, so it stays false.
      forwardOriginalToken: false,
    }];
  });
  return { rules };
}

function base(
  source: PolicyRef,
  index: number,
  api: JwtRule['api'],
  jwt: Record<string, unknown>,
  applicability: Applicability,
): Omit<JwtRule, 'locations' | 'forwardOriginalToken'> {
  const rule: Omit<JwtRule, 'locations' | 'forwardOriginalToken'> = {
    key: ruleKey(source, index),
    source,
    index,
    api,
    audiences: asStringArray(jwt['audiences']) ?? [],
    applies: applicability.applies,
    reason: applicability.reason,
  };
  if (applicability.reasonCode !== undefined) rule.reasonCode = applicability.reasonCode;
  const issuer = asString(jwt['issuer']);
  if (issuer !== undefined) rule.issuer = issuer;
  const jwksUri = asString(field(jwt, 'jwksUri', 'jwks_uri'));
  if (jwksUri !== undefined) rule.jwksUri = jwksUri;
  const jwks = asString(jwt['jwks']);
  if (jwks !== undefined) rule.jwks = jwks;
  return rule;
}

function headerLocations(value: unknown): TokenLocation[] {
  return (asArray(value) ?? []).flatMap((entry) => {
    const header = asRecord(entry);
    const name = asString(header?.['name']);
    if (name === undefined || name === '') return [];
    const prefix = asString(header?.['prefix']);
    return [prefix === undefined ? { in: 'header' as const, name } : { in: 'header' as const, name, prefix }];
  });
}

function named(where: 'header' | 'param' | 'cookie', value: unknown): TokenLocation[] {
  return (asArray(value) ?? []).flatMap((name) => (typeof name === 'string' && name !== '' ? [{ in: where, name }] : []));
}
