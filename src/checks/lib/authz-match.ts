/**
 * Evaluates AuthorizationPolicy rules against a decoded token, the way Istio 1.21+ compiles them for Envoy
 * RBAC: a requestPrincipals value is split at its LAST "/" into iss and sub, each side matched on its own
 * (exact, "*" = any non-empty, "x*" prefix, "*x" suffix), so a token without sub never matches (#59541).
 * Source: istio/istio pilot/pkg/security/authz/model/generator.go (requestPrincipalGenerator,
 * requestClaimGenerator), pilot/pkg/security/authz/matcher/string.go; ISTIO-JWT §2.2–2.3, §7 items 10–11.
 *
 * Three-valued: what a token cannot decide (paths, methods, source IPs, peer identities, headers) is
 * `unknown` and described, so callers can say "allowed only on GET /headers".
 */
import type {
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationPolicyInfo,
  AuthorizationRule,
  AuthorizationSource,
} from '../../model/index.js';
import { rbacPolicyId } from './authz.js';

export type Verdict = 'match' | 'no-match' | 'unknown';

export interface Judgement {
  verdict: Verdict;
  /** Why it does not match (for no-match; also collected from failed alternatives). */
  misses: string[];
  /** What the match depends on, in words ("on GET /headers", "when source.ip in [10.0.0.0/8]"). */
  unknowns: string[];
}

export interface TokenFacts {
  claims: Record<string, unknown>;
  /**
   * Before Istio 1.21 the RBAC filter matched the whole `<iss>/<sub>` string (from istio_authn metadata);
   * 1.21+ matches iss and sub apart after splitting the value at its last "/" (ISTIO-JWT §0, §2.3).
   */
  wholePrincipal?: boolean;
  /** Claims Envoy splits on spaces besides scope and permission (RequestAuthentication spaceDelimitedClaims). */
  spaceDelimitedClaims?: readonly string[];
}

/** Envoy always splits these (Istio sets normalize_payload_in_metadata for them). */
export const DEFAULT_SPACE_DELIMITED_CLAIMS: readonly string[] = ['scope', 'permission'];

const MATCH: Judgement = { verdict: 'match', misses: [], unknowns: [] };
const miss = (reason: string): Judgement => ({ verdict: 'no-match', misses: [reason], unknowns: [] });
const unknown = (what: string): Judgement => ({ verdict: 'unknown', misses: [], unknowns: [what] });

/** All parts must match. */
export function allOf(parts: readonly Judgement[]): Judgement {
  const misses = parts.flatMap((p) => (p.verdict === 'no-match' ? p.misses : []));
  const unknowns = parts.flatMap((p) => p.unknowns);
  if (parts.some((p) => p.verdict === 'no-match')) return { verdict: 'no-match', misses, unknowns };
  if (parts.some((p) => p.verdict === 'unknown')) return { verdict: 'unknown', misses: [], unknowns };
  return MATCH;
}

/** One part must match. */
export function anyOf(parts: readonly Judgement[]): Judgement {
  if (parts.length === 0 || parts.some((p) => p.verdict === 'match')) return MATCH;
  const open = parts.filter((p) => p.verdict === 'unknown');
  const misses = parts.flatMap((p) => p.misses);
  if (open.length) {
    return { verdict: 'unknown', misses, unknowns: [open.map((p) => p.unknowns.join(' and ')).join(' or ')] };
  }
  return { verdict: 'no-match', misses, unknowns: [] };
}

// ---------------------------------------------------------------- strings

/** Istio's matcher.StringMatcher: "*" = non-empty, "*x" suffix, "x*" prefix, else exact. */
export function matchString(pattern: string, value: string): boolean {
  if (pattern === '*') return value.length > 0;
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

type Side = { kind: 'any' } | { kind: 'exact' | 'prefix' | 'suffix'; value: string };

export interface PrincipalPattern {
  iss: Side;
  sub: Side;
}

/** How Istio 1.21+ reads one requestPrincipals / request.auth.principal value (generator.go, verbatim logic). */
export function parseRequestPrincipal(value: string): PrincipalPattern {
  const idx = value.lastIndexOf('/');
  const found = idx >= 0;
  const iss = found ? value.slice(0, idx) : value;
  const sub = found ? value.slice(idx + 1) : '';
  if (value === '*') return { iss: { kind: 'any' }, sub: { kind: 'any' } };
  if (value.startsWith('*')) {
    if (found) {
      return {
        iss: iss === '*' ? { kind: 'any' } : { kind: 'suffix', value: iss.slice(1) },
        sub: { kind: 'exact', value: sub },
      };
    }
    return { iss: { kind: 'any' }, sub: { kind: 'suffix', value: value.slice(1) } };
  }
  if (value.endsWith('*')) {
    if (found) {
      return {
        iss: { kind: 'exact', value: iss },
        sub: sub === '*' ? { kind: 'any' } : { kind: 'prefix', value: sub.slice(0, -1) },
      };
    }
    return { iss: { kind: 'prefix', value: value.slice(0, -1) }, sub: { kind: 'any' } };
  }
  return { iss: { kind: 'exact', value: iss }, sub: { kind: 'exact', value: sub } };
}

function matchSide(side: Side, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  switch (side.kind) {
    case 'any':
      return actual.length > 0;
    case 'exact':
      return actual === side.value;
    case 'prefix':
      return actual.startsWith(side.value);
    case 'suffix':
      return actual.endsWith(side.value);
  }
}

function describeSide(side: Side): string {
  switch (side.kind) {
    case 'any':
      return 'any (non-empty)';
    case 'exact':
      return `exactly ${JSON.stringify(side.value)}`;
    case 'prefix':
      return `starting with ${JSON.stringify(side.value)}`;
    case 'suffix':
      return `ending with ${JSON.stringify(side.value)}`;
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The request principal Istio gives a token: `<iss>/<sub>` (undefined without both). */
export function principalOf(claims: Record<string, unknown>): string | undefined {
  const iss = str(claims['iss']);
  const sub = str(claims['sub']);
  return iss !== undefined && sub !== undefined ? `${iss}/${sub}` : undefined;
}

export function principalMatches(value: string, claims: Record<string, unknown>, whole = false): boolean {
  if (whole) {
    const principal = principalOf(claims);
    return principal !== undefined && matchString(value, principal);
  }
  const p = parseRequestPrincipal(value);
  return matchSide(p.iss, str(claims['iss'])) && matchSide(p.sub, str(claims['sub']));
}

/** Why `value` does not match the token, precisely; undefined when it matches. */
export function explainPrincipalMiss(value: string, claims: Record<string, unknown>): string | undefined {
  const p = parseRequestPrincipal(value);
  const iss = str(claims['iss']);
  const sub = str(claims['sub']);
  const issOk = matchSide(p.iss, iss);
  const subOk = matchSide(p.sub, sub);
  if (issOk && subOk) return undefined;
  const gives: string[] = [];
  if (!issOk) gives.push(iss === undefined ? 'no iss' : `iss ${JSON.stringify(iss)}`);
  if (!subOk) gives.push(sub === undefined ? 'no sub' : `sub ${JSON.stringify(sub)}`);
  let text =
    `${JSON.stringify(value)} wants iss ${describeSide(p.iss)} and sub ${describeSide(p.sub)} ` +
    `(split at its last "/"), the token has ${gives.join(' and ')}`;
  const hints: string[] = [];
  if (sub === undefined) hints.push('a token without sub never matches a principal (istio#59541)');
  else if (sub.includes('/') && !subOk)
    hints.push(
      `the sub contains "/", which no value can match exactly after the split (istio#52217): ` +
        `use ${JSON.stringify(`${iss ?? '<iss>'}/*`)} plus when request.auth.claims[sub]`,
    );
  const subPart = value.includes('/') ? value.slice(value.lastIndexOf('/') + 1) : '*';
  const slashIssuer = !!iss?.endsWith('/') && !issOk && p.iss.kind === 'exact' && p.iss.value === iss.slice(0, -1);
  if (slashIssuer) {
    hints.push(`the issuer ends with "/", so write ${JSON.stringify(`${iss}/${subPart}`)} (two slashes, istio#51901)`);
  }
  if (!value.includes('/') && value !== '*' && !value.startsWith('*') && !value.endsWith('*')) {
    hints.push('the value has no "/": Istio reads all of it as the issuer and wants an empty sub');
  }
  if (!slashIssuer && !issOk && value.endsWith('*') && value !== '*' && p.iss.kind === 'exact' && iss !== undefined && iss.startsWith(p.iss.value)) {
    hints.push(`a trailing "*" only widens the sub after the split; to accept any sub of this issuer write ${JSON.stringify(`${iss}/*`)}`);
  }
  if (value === '*/*') hints.push('"*/*" only matches a sub that is literally "*": use "*"');
  if (hints.length) text += ` — ${hints.join('; ')}`;
  return text;
}

// ---------------------------------------------------------------- claims

/** "request.auth.claims[a][b]" → ["a", "b"]; undefined when malformed. */
export function claimPath(key: string): string[] | undefined {
  const rest = key.slice('request.auth.claims'.length);
  const names: string[] = [];
  const re = /\[([^\]]*)\]/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(rest)) !== null) {
    names.push(m[1] ?? '');
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length || names.length === 0 || names.some((n) => n === '')) return undefined;
  return names;
}

interface ClaimLookup {
  values?: string[];
  problem?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The string values Envoy's RBAC sees for a claim path (arrays: each element; split claims: each word). */
export function claimValues(facts: TokenFacts, path: readonly string[]): ClaimLookup {
  let v: unknown = facts.claims;
  for (const name of path) {
    if (!isRecord(v) || !(name in v)) return { problem: `the token has no claim ${path.map((n) => `[${n}]`).join('')}` };
    v = v[name];
  }
  const split = path.length === 1 && [...DEFAULT_SPACE_DELIMITED_CLAIMS, ...(facts.spaceDelimitedClaims ?? [])].includes(path[0] ?? '');
  if (typeof v === 'string') return { values: split ? v.split(' ').filter(Boolean) : [v] };
  if (Array.isArray(v)) {
    const strings = v.filter((x): x is string => typeof x === 'string');
    if (strings.length < v.length) {
      return { values: strings, problem: 'some elements are not strings (Istio compares strings only)' };
    }
    return { values: strings };
  }
  return { values: [], problem: `the claim is ${v === null ? 'null' : `a ${typeof v}`}, and Istio compares strings only` };
}

function claimNotFoundHints(facts: TokenFacts, path: readonly string[]): string[] {
  const hints: string[] = [];
  const first = path[0] ?? '';
  if (/^["'].*["']$/.test(first)) hints.push('remove the quotes around the claim name: request.auth.claims[groups]');
  if (path.length === 1 && first.includes('.')) {
    const nested = first.split('.');
    if (claimValues(facts, nested).values !== undefined) {
      hints.push(`nested claims use brackets: request.auth.claims${nested.map((n) => `[${n}]`).join('')}`);
    }
  }
  return hints;
}

// ---------------------------------------------------------------- rules

function listOrEmpty(xs: readonly string[] | undefined): readonly string[] {
  return xs ?? [];
}

function valuesCondition(
  label: string,
  values: readonly string[],
  notValues: readonly string[],
  matches: (pattern: string) => boolean,
  has: string,
): Judgement {
  const parts: Judgement[] = [];
  if (values.length) {
    parts.push(values.some(matches) ? MATCH : miss(`${label} wants one of [${values.map((v) => JSON.stringify(v)).join(', ')}], the token has ${has}`));
  }
  const hit = notValues.find(matches);
  if (hit !== undefined) parts.push(miss(`${label} excludes ${JSON.stringify(hit)}, and the token has ${has}`));
  return allOf(parts);
}

function judgePrincipals(
  label: string,
  notLabel: string,
  values: readonly string[],
  notValues: readonly string[],
  facts: TokenFacts,
): Judgement {
  const parts: Judgement[] = [];
  if (values.length) {
    if (values.some((v) => principalMatches(v, facts.claims, facts.wholePrincipal))) parts.push(MATCH);
    else {
      const reasons = values.map((v) =>
        facts.wholePrincipal
          ? `${JSON.stringify(v)} does not match the principal ${JSON.stringify(principalOf(facts.claims) ?? '(none: the token needs iss and sub)')} (whole-string match, Istio < 1.21)`
          : (explainPrincipalMiss(v, facts.claims) ?? ''),
      );
      parts.push(miss(`${label}: ${reasons.join('; ')}`));
    }
  }
  const hit = notValues.find((v) => principalMatches(v, facts.claims, facts.wholePrincipal));
  if (hit !== undefined) {
    parts.push(miss(`${notLabel} excludes ${JSON.stringify(hit)}, which matches the token's principal ${JSON.stringify(principalOf(facts.claims) ?? '')}`));
  }
  return allOf(parts);
}

const NON_TOKEN_SOURCE_FIELDS = [
  'principals',
  'notPrincipals',
  'namespaces',
  'notNamespaces',
  'ipBlocks',
  'notIpBlocks',
  'remoteIpBlocks',
  'notRemoteIpBlocks',
] as const satisfies readonly (keyof AuthorizationSource)[];

export function judgeSource(source: AuthorizationSource, facts: TokenFacts): Judgement {
  const parts: Judgement[] = [];
  const rp = listOrEmpty(source.requestPrincipals);
  const nrp = listOrEmpty(source.notRequestPrincipals);
  if (rp.length || nrp.length) parts.push(judgePrincipals('requestPrincipals', 'notRequestPrincipals', rp, nrp, facts));
  for (const field of NON_TOKEN_SOURCE_FIELDS) {
    const v = listOrEmpty(source[field]);
    if (v.length) parts.push(unknown(`from ${field} [${v.join(', ')}]`));
  }
  return allOf(parts);
}

/** "GET,POST /headers, /ip" — what a `to` operation limits the rule to. */
export function describeOperation(op: AuthorizationOperation): string {
  const bits: string[] = [];
  const methods = listOrEmpty(op.methods);
  const paths = listOrEmpty(op.paths);
  if (methods.length || paths.length) bits.push([methods.join(','), paths.join(', ')].filter(Boolean).join(' '));
  if (listOrEmpty(op.hosts).length) bits.push(`host ${listOrEmpty(op.hosts).join(', ')}`);
  if (listOrEmpty(op.ports).length) bits.push(`port ${listOrEmpty(op.ports).join(', ')}`);
  if (listOrEmpty(op.notMethods).length) bits.push(`not ${listOrEmpty(op.notMethods).join(',')}`);
  if (listOrEmpty(op.notPaths).length) bits.push(`not paths ${listOrEmpty(op.notPaths).join(', ')}`);
  if (listOrEmpty(op.notHosts).length) bits.push(`not host ${listOrEmpty(op.notHosts).join(', ')}`);
  if (listOrEmpty(op.notPorts).length) bits.push(`not port ${listOrEmpty(op.notPorts).join(', ')}`);
  return bits.join(' ');
}

export function judgeOperation(op: AuthorizationOperation): Judgement {
  const text = describeOperation(op);
  return text ? unknown(`on ${text}`) : MATCH;
}

export function judgeCondition(c: AuthorizationCondition, facts: TokenFacts): Judgement {
  const values = listOrEmpty(c.values);
  const notValues = listOrEmpty(c.notValues);
  if (c.key === 'request.auth.principal') {
    return judgePrincipals('when request.auth.principal', 'when request.auth.principal notValues', values, notValues, facts);
  }
  if (c.key === 'request.auth.audiences' || c.key === 'request.auth.presenter') {
    const claim = c.key === 'request.auth.audiences' ? 'aud' : 'azp';
    const found = claimValues(facts, [claim]);
    const have = found.values ?? [];
    const has = found.values ? `${claim} ${JSON.stringify(have.length === 1 ? have[0] : have)}` : `no ${claim}`;
    return valuesCondition(`when ${c.key}`, values, notValues, (p) => have.some((v) => matchString(p, v)), has);
  }
  if (c.key.startsWith('request.auth.claims')) {
    const path = claimPath(c.key);
    if (!path) return miss(`when ${c.key}: the key is malformed (write request.auth.claims[name] or [a][b], no quotes)`);
    const found = claimValues(facts, path);
    const have = found.values ?? [];
    let has = found.values ? JSON.stringify(have.length === 1 && !found.problem ? have[0] : have) : '(absent)';
    const notes = [...(found.values ? [] : claimNotFoundHints(facts, path)), ...(found.problem ? [found.problem] : [])];
    if (notes.length) has += ` — ${notes.join('; ')}`;
    // A missing claim never matches `values`, and Envoy's notValues negation is then true (nothing to exclude).
    return valuesCondition(`when ${c.key}`, values, notValues, (p) => have.some((v) => matchString(p, v)), has);
  }
  const shown = values.length ? `in [${values.join(', ')}]` : `not in [${notValues.join(', ')}]`;
  return unknown(`when ${c.key} ${shown}`);
}

export function judgeRule(rule: AuthorizationRule, facts: TokenFacts): Judgement {
  const parts: Judgement[] = [];
  if (rule.from?.length) parts.push(anyOf(rule.from.map((f) => judgeSource(f.source ?? {}, facts))));
  if (rule.to?.length) parts.push(anyOf(rule.to.map((t) => judgeOperation(t.operation ?? {}))));
  for (const c of rule.when ?? []) parts.push(judgeCondition(c, facts));
  return allOf(parts);
}

export interface RuleVerdict {
  policy: AuthorizationPolicyInfo;
  index: number;
  /** Envoy's RBAC policy id, as in response_code_details: ns[foo]-policy[x]-rule[0]. */
  envoyId: string;
  /** "foo/require-jwt rule 0". */
  name: string;
  judgement: Judgement;
}

export function policyLabel(p: AuthorizationPolicyInfo): string {
  return p.source.namespace ? `${p.source.namespace}/${p.source.name}` : p.source.name;
}

/** Every rule of one policy, judged against the token. A policy without `rules` yields nothing. */
export function judgePolicy(policy: AuthorizationPolicyInfo, facts: TokenFacts): RuleVerdict[] {
  return (policy.rules ?? []).map((rule, index) => ({
    policy,
    index,
    envoyId: rbacPolicyId(policy, index),
    name: `${policyLabel(policy)} rule ${index}`,
    judgement: judgeRule(rule, facts),
  }));
}
