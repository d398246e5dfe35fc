// Predicts what the AuthorizationPolicies that apply to the workload decide for this token: CUSTOM is
// delegated (not judged), then DENY, then ALLOW (none matching ⇒ 403 rbac_access_denied_matched_policy[none]).
// Principals are `<iss>/<sub>` matched the Istio 1.21+ way (split at the last "/"), claims per `when`.
// Source: ISTIO-JWT §2.3, §4.3, §7 items 10–11; istio/istio pilot/pkg/security/authz/model/generator.go.
import type { AuthorizationPolicyInfo } from '../model/index.js';
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import { judgePolicy, policyLabel, principalOf } from './lib/authz-match.js';
import type { RuleVerdict, TokenFacts } from './lib/authz-match.js';
import { applyingRules } from './lib/policy.js';
import { versionAtLeast } from './lib/version.js';
import { rulesForIssuer, skipWithoutToken, slotValue, tokenIssuer } from './lib/token-common.js';

function closest(verdicts: readonly RuleVerdict[]): RuleVerdict | undefined {
  let best: RuleVerdict | undefined;
  for (const v of verdicts) {
    if (!best || v.judgement.misses.length < best.judgement.misses.length) best = v;
  }
  return best;
}

function names(policies: readonly AuthorizationPolicyInfo[]): string {
  return policies.map(policyLabel).join(', ');
}

/** What every outcome names: who the request is, and the notes about CUSTOM and possibly-matching DENY rules. */
interface Scene {
  who: string;
  claims: Record<string, unknown>;
  customNote: string;
  /** DENY rules that match only some requests (paths, methods, sources). */
  maybeDenied: RuleVerdict[];
  denyNote: string;
}

function whoOf(authenticated: boolean, claims: Record<string, unknown>): string {
  if (!authenticated) return 'the request as tokenless (no JWT rule applies to this workload, so the token never becomes a principal)';
  const principal = principalOf(claims);
  return principal ? `principal ${JSON.stringify(principal)}` : 'a token without iss/sub (no principal)';
}

function deniedOutright(denied: RuleVerdict, scene: Scene): CheckOutcome {
  return {
    status: 'fail',
    detail: `403 "RBAC: access denied" (rbac_access_denied_matched_policy[${denied.envoyId}]): DENY ${denied.name} matches ${scene.who}${scene.customNote}`,
    fix: `Change or remove rule ${denied.index} of DENY AuthorizationPolicy ${policyLabel(denied.policy)} (kubectl -n ${denied.policy.source.namespace ?? ''} edit authorizationpolicy ${denied.policy.source.name}), or use a token it does not match.`,
  };
}

/** DENY policies only: nothing to allow, so the token passes unless a DENY rule may match. */
function withoutAllow({ who, maybeDenied, denyNote, customNote }: Scene): CheckOutcome {
  if (maybeDenied.length) {
    return {
      status: 'warn',
      detail: `no ALLOW policy and no DENY rule matches ${who} outright${denyNote}${customNote}`,
      fix: 'Make sure the denied requests (paths/methods/sources named) are meant to be refused for this token.',
    };
  }
  return { status: 'pass', detail: `no DENY rule matches ${who} and there is no ALLOW policy${customNote}` };
}

/** ALLOW policies: a matching rule passes (warns under a possible DENY), a partial one warns, none is a 403. */
function againstAllow(allow: readonly AuthorizationPolicyInfo[], facts: TokenFacts, scene: Scene): CheckOutcome {
  const { who, maybeDenied, denyNote, customNote } = scene;
  const allowVerdicts = allow.flatMap((p) => judgePolicy(p, facts));
  const allowed = allowVerdicts.find((v) => v.judgement.verdict === 'match');
  if (allowed && !maybeDenied.length) {
    return { status: 'pass', detail: `allowed by ${allowed.name} (${who})${customNote}` };
  }
  if (allowed) {
    return {
      status: 'warn',
      detail: `allowed by ${allowed.name} (${who})${denyNote}${customNote}`,
      fix: 'If those requests must pass, narrow the DENY rule; otherwise nothing to do.',
    };
  }
  const partial = allowVerdicts.filter((v) => v.judgement.verdict === 'unknown');
  if (partial.length) {
    const only = partial.map((v) => `${v.judgement.unknowns.join(' and ')} (${v.name})`).join('; or ');
    return {
      status: 'warn',
      detail: `${who} is allowed only ${only}; any other request gets 403 rbac_access_denied_matched_policy[none]${denyNote}${customNote}`,
      fix: 'If the failing request is outside those paths/methods/sources, add a rule for it to an ALLOW policy.',
    };
  }
  return noAllowMatches(allow, allowVerdicts, scene);
}

function noAllowMatches(allow: readonly AuthorizationPolicyInfo[], allowVerdicts: readonly RuleVerdict[], { who, claims, customNote }: Scene): CheckOutcome {
  const empty = allow.filter((p) => p.rules === undefined || p.rules.length === 0);
  const near = closest(allowVerdicts.filter((v) => v.judgement.verdict === 'no-match'));
  const why = near
    ? `closest is ${near.name}: ${near.judgement.misses.join('; ')}`
    : `ALLOW ${names(empty)} has no rules, which allows nothing`;
  return {
    status: 'fail',
    detail: `403 "RBAC: access denied" (rbac_access_denied_matched_policy[none]) for ${who}: no ALLOW rule matches; ${why}${customNote}`,
    fix: near
      ? `Edit rule ${near.index} of AuthorizationPolicy ${policyLabel(near.policy)} so it matches the token (requestPrincipals is "<iss>/<sub>", e.g. ${JSON.stringify(`${String(claims['iss'] ?? '<iss>')}/*`)}), or use a token that carries what it asks for.`
      : `Add rules to ALLOW AuthorizationPolicy ${names(empty)} (e.g. from.source.requestPrincipals ["*"]) or delete it.`,
  };
}

export default defineCheck({
  id: 'token.authorization',
  title: 'AuthorizationPolicies allow this token',
  docs: 'https://istio.io/latest/docs/tasks/security/authorization/authz-jwt/',
  needs: ['policies'],
  // The Istio version decides how requestPrincipals match; unknown → the current (1.21+) way.
  uses: ['istio'],
  run({ token, policies, istio }): CheckOutcome {
    const skip = skipWithoutToken(token);
    if (skip) return skip;
    const set = slotValue(policies);
    const rules = applyingRules(set);
    // A token becomes request.auth.* only through a JWT rule on this proxy (ISTIO-JWT §2.2, §7.8): with
    // none, jwt_authn never reads it and the request is judged as tokenless; with rules but none for its
    // iss, Envoy answers 401 before any AuthorizationPolicy runs (§4.1).
    const authenticated = rules.length > 0;
    if (authenticated && rulesForIssuer(rules, tokenIssuer(token)).length === 0) {
      return { status: 'skip', detail: 'the token is refused with 401 before authorization runs: see token.issuer' };
    }
    const claims = authenticated ? (token.claims ?? {}) : {};
    const version = istio.ok ? istio.value.version : undefined;
    const facts: TokenFacts = { claims, wholePrincipal: version !== undefined && !versionAtLeast(version, 1, 21) };
    const aps = set.authorizationPolicies.filter((p) => p.applies);
    const custom = aps.filter((p) => p.action === 'CUSTOM');
    const deny = aps.filter((p) => p.action === 'DENY');
    const allow = aps.filter((p) => p.action === 'ALLOW');
    const customNote = custom.length
      ? `; CUSTOM ${names(custom)} is decided by its external authorizer first and is not judged here`
      : '';
    if (deny.length === 0 && allow.length === 0) {
      return { status: 'skip', detail: `no AuthorizationPolicy: any valid token is accepted${customNote}` };
    }

    const denyVerdicts = deny.flatMap((p) => judgePolicy(p, facts));
    const maybeDenied = denyVerdicts.filter((v) => v.judgement.verdict === 'unknown');
    const scene: Scene = {
      who: whoOf(authenticated, claims),
      claims,
      customNote,
      maybeDenied,
      denyNote: maybeDenied.length
        ? `; but DENY ${maybeDenied.map((v) => `${v.name} (${v.judgement.unknowns.join(' and ')})`).join(', ')} refuses it`
        : '',
    };
    const denied = denyVerdicts.find((v) => v.judgement.verdict === 'match');
    if (denied) return deniedOutright(denied, scene);
    return allow.length === 0 ? withoutAllow(scene) : againstAllow(allow, facts, scene);
  },
});
