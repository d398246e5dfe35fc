/**
 * Helpers shared by the token.* checks: when a token check is not applicable, which applying rules
 * judge a token's issuer, and how times and lists are put in words.
 */
import type { IstioInfo, JwtRule, PolicySet, Slot, TokenEvidence } from '../../model/index.js';
import { decideToken, requirementFor } from '../../istio/policies/jwt-requirement.js';
import type { CheckOutcome } from '../../engine/check.js';
import { applyingRules, listSome, ruleOrigin, ruleSubject } from './policy.js';
import { matchingAudiences, tokenAudiences } from './token-audience.js';

export const NO_TOKEN_DETAIL = 'no token given: pass --token-file or DM the token to the bot';

/** The skip outcome when there is no usable decoded token, or undefined when the token can be judged. */
export function skipWithoutToken(token: TokenEvidence): CheckOutcome | undefined {
  if (!token.provided) return { status: 'skip', detail: NO_TOKEN_DETAIL };
  if (token.problem) {
    return { status: 'skip', detail: `the token could not be decoded (${token.problem.code}): see token.format` };
  }
  if (!token.claims) return { status: 'skip', detail: 'the token has no decoded payload: see token.format' };
  return undefined;
}

/** The token's iss when it is a string (Envoy: "Jwt payload [iss] field is not a string" otherwise). */
export function tokenIssuer(token: TokenEvidence): string | undefined {
  const iss = token.claims?.['iss'];
  return typeof iss === 'string' ? iss : undefined;
}

/**
 * Rules Envoy would use for a token with this iss: same issuer exactly, or a rule without issuer
 * (Istio 1.27+: jwksUri only), which accepts any iss.
 */
export function rulesForIssuer(rules: readonly JwtRule[], iss: string | undefined): JwtRule[] {
  return rules.filter((r) => r.issuer === undefined || r.issuer === '' || r.issuer === iss);
}

/** Whether this provider alone would accept the token: its audiences (if any) match and its keys verify it. */
function providerAccepts(rule: JwtRule, token: TokenEvidence): boolean {
  const aud = tokenAudiences(token.claims?.['aud']);
  const audienceOk = rule.audiences.length === 0 || (aud !== undefined && matchingAudiences(aud, rule.audiences).length > 0);
  return audienceOk && token.verification[rule.key]?.outcome === 'verified';
}

/**
 * The outcomes of a per-provider token check, decided the way the proxy decides (src/istio/policies/jwt-requirement.ts):
 * one outcome per applying rule that would judge the token (same iss, or no issuer) when one rule does, or when none
 * accepts it; a single pass from the accepting provider when several exist and one accepts it (the others are a
 * policy.conflicts matter); a warn when a legacy release picks the origin arbitrarily and they disagree. One skip
 * when the token cannot be judged or no such rule exists (token.format / token.issuer then say why).
 */
export function perRuleForToken(
  token: TokenEvidence,
  policies: Slot<PolicySet>,
  judge: (rule: JwtRule) => CheckOutcome,
  istio?: Slot<IstioInfo>,
): CheckOutcome | CheckOutcome[] {
  const skip = skipWithoutToken(token);
  if (skip) return skip;
  const iss = tokenIssuer(token);
  const rules = rulesForIssuer(applyingRules(slotValue(policies)), iss);
  if (rules.length === 0) {
    return {
      status: 'skip',
      detail: `no applying rule accepts iss ${iss === undefined ? '(none)' : JSON.stringify(iss)}: see token.issuer`,
    };
  }
  if (rules.length === 1) return rules.map(judge);
  const requirement = requirementFor(rules, istio?.ok ? istio.value.version : undefined);
  const decision = decideToken(requirement, (r) => providerAccepts(r, token));
  const ignored: CheckOutcome[] = requirement.ignored.map((r) => ({
    status: 'skip',
    subject: ruleSubject(r),
    detail: `${ruleOrigin(r)} is never used for this issuer: ${requirement.words} (see policy.conflicts)`,
  }));
  if (decision.verdict === 'refused') return [...requirement.candidates.map(judge), ...ignored];
  if (decision.verdict === 'accepted') {
    const chosen = judge(decision.accepting[0] as JwtRule);
    const others = decision.refusing.length
      ? `; ${listSome(decision.refusing.map(ruleOrigin), 2)} would refuse it, which does not matter: ${requirement.words} (see policy.conflicts)`
      : '';
    return [{ ...chosen, detail: `${chosen.detail}${others}` }, ...ignored];
  }
  const outcomes = requirement.candidates.map(judge);
  const against = outcomes.filter((o) => o.status !== 'pass' && o.status !== 'skip');
  if (against.length === 0) return outcomes;
  return {
    status: 'warn',
    subject: iss ?? ruleSubject(requirement.providers[0] as JwtRule),
    detail:
      `${requirement.words}: ${listSome(decision.accepting.map(ruleOrigin), 2)} accepts the token, ${listSome(decision.refusing.map(ruleOrigin), 2)} refuses it ` +
      `(${against.map((o) => o.detail).join('; ')}) — so it may pass on one proxy and fail on another, or after a restart`,
    fix: 'Keep one origin per issuer in the Policy: merge the keys (one jwks_uri serving all keys) and audiences into it, and delete the others.',
  };
}

/** "3 h 12 min", "45 s", "2 d 4 h" — whole units, at most two of them. */
export function durationInWords(totalSeconds: number): string {
  const s = Math.max(0, Math.round(Math.abs(totalSeconds)));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const restMin = min % 60;
  if (h < 24) return restMin ? `${h} h ${restMin} min` : `${h} h`;
  const d = Math.floor(h / 24);
  const restH = h % 24;
  return restH ? `${d} d ${restH} h` : `${d} d`;
}

/** 2026-11-29T06:48:00Z (seconds precision, as token times are). */
export function isoFromEpochSeconds(seconds: number): string {
  const ms = seconds * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return `${seconds} (out of range)`;
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** ["a", "b"] → `"a", "b"`; empty → "none". */
export function quoteList(values: readonly string[]): string {
  return values.length ? values.map((v) => JSON.stringify(v)).join(', ') : 'none';
}

/** A claim value shown to a user: strings quoted, lists bracketed, anything else as JSON (short). */
export function showValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Cuts a log line for a one-line detail. */
export function shorten(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 3)}...` : oneLine;
}

/**
 * The value of a slot the check `needs`: the engine only runs a check when those slots loaded, so this
 * throws (and the engine reports `error`) only if a check reads a slot it did not declare.
 */
export function slotValue<T>(slot: Slot<T>): T {
  if (!slot.ok) throw new Error(`evidence not available: ${slot.error.message}`);
  return slot.value;
}

/**
 * What the client gets for a JWT refusal: Envoy's status string, or — when only legacy (≤ 1.5)
 * authentication.istio.io rules apply — istio_authn's own 401 body, with Envoy's reason in brackets
 * (the JWT filter ran with allow_missing_or_failed there; ISTIO-JWT §1.3).
 */
export function refusalText(status: string, legacy: boolean, code = 401): string {
  return legacy ? `401 "Origin authentication failed." (legacy Policy; the JWT filter's reason: ${status})` : `${code} "${status}"`;
}

export function onlyLegacy(rules: readonly JwtRule[]): boolean {
  return rules.length > 0 && rules.every((r) => r.api === 'legacy');
}
