// Verifies that the policies applying to the workload do not contradict each other: RequestAuthentications are
// merged (rules concatenated, duplicate issuers kept: TODO #19245), a DENY rule with no condition or an ALLOW
// policy without rules blocks everything, and Istio picks a random legacy Policy when several target a Service
// (ISTIO-JWT §1.1, §2.2, §2.3, §7.18).
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import type { IstioVersion, JwtRule, PolicySet, TokenEvidence } from '../model/index.js';
import { decideToken, requirementFor } from '../istio/policies/jwt-requirement.js';
import { tokenIssuer } from './lib/token-common.js';
import { rbacPolicyId, ruleMatchesEverything } from './lib/authz.js';
import { applyingRules, describeLocation, listSome, plural, policyName, ruleOrigin, ruleSubject } from './lib/policy.js';

function keyMaterial(r: JwtRule): string {
  return r.jwks !== undefined ? `inline jwks` : r.jwksUri ? `jwksUri ${r.jwksUri}` : 'discovery';
}

/** What differs between two rules for the same issuer, or [] when they are the same. */
function differences(a: JwtRule, b: JwtRule): string[] {
  const out: string[] = [];
  if ((a.jwksUri ?? '') !== (b.jwksUri ?? '') || (a.jwks ?? '') !== (b.jwks ?? '')) out.push(`keys (${keyMaterial(a)} vs ${keyMaterial(b)})`);
  const aud = (r: JwtRule): string => [...r.audiences].sort().join(',') || 'any';
  if (aud(a) !== aud(b)) out.push(`audiences (${aud(a)} vs ${aud(b)})`);
  const loc = (r: JwtRule): string => r.locations.map(describeLocation).sort().join(', ') || 'defaults';
  if (loc(a) !== loc(b)) out.push(`token locations (${loc(a)} vs ${loc(b)})`);
  return out;
}

function sameIssuerConflicts(rules: JwtRule[], version: IstioVersion | undefined, token: TokenEvidence): CheckOutcome[] {
  const byIssuer = new Map<string, JwtRule[]>();
  for (const r of rules) {
    if (!r.issuer) continue;
    byIssuer.set(r.issuer, [...(byIssuer.get(r.issuer) ?? []), r]);
  }
  const out: CheckOutcome[] = [];
  for (const [issuer, group] of byIssuer) {
    const first = group[0];
    if (!first || group.length < 2) continue;
    const diffs = group.slice(1).flatMap((other) => differences(first, other).map((d) => ({ other, d })));
    if (diffs.length === 0) continue;
    const others = [...new Set(diffs.map((x) => ruleOrigin(x.other)))];
    // Not merged: each rule stays its own provider; the release decides which may judge (jwt-requirement.ts).
    const requirement = requirementFor(group, version);
    const verified = (r: JwtRule): boolean => token.verification[r.key]?.outcome === 'verified';
    const given = token.provided && tokenIssuer(token) === issuer && Object.keys(token.verification).length > 0 ? decideToken(requirement, verified) : undefined;
    const loser =
      given && given.accepting.length > 0 && given.refusing.length > 0
        ? ` The given token verifies with ${listSome(given.accepting.map(ruleOrigin), 2)} but not with ${listSome(given.refusing.map(ruleOrigin), 2)}.`
        : '';
    out.push({
      status: 'warn',
      subject: issuer,
      detail: `Issuer ${issuer} is configured twice with different ${listSome([...new Set(diffs.map((x) => x.d))], 3)}: ${ruleOrigin(first)} and ${listSome(others, 2)}; the rules are not merged: ${requirement.words}.${loser}`,
      fix: `Keep one jwtRules entry for ${issuer}: align or delete the one in ${listSome(others, 2)} (kubectl get requestauthentications -A).`,
    });
  }
  return out;
}

export default defineCheck({
  id: 'policy.conflicts',
  title: 'Applicable policies do not conflict',
  docs: 'https://istio.io/latest/docs/concepts/security/#request-authentication',
  needs: ['policies'],
  // Only to word how the release treats several rules for one issuer, and which one verifies the given token.
  uses: ['istio', 'issuers'],
  run(evidence, ctx) {
    const p: PolicySet | undefined = evidence.policies.ok ? evidence.policies.value : undefined;
    if (!p) return { status: 'skip', detail: 'No policy evidence.' };
    const ns = ctx.target.namespace;
    const outcomes: CheckOutcome[] = [];
    const rules = applyingRules(p);
    outcomes.push(...sameIssuerConflicts(rules, evidence.istio.ok ? evidence.istio.value.version : undefined, evidence.token));

    const ras = p.requestAuthentications.filter((ra) => ra.applies);
    const meshWide = ras.filter(
      (ra) => ra.source.namespace !== ns && (!ra.selector || Object.keys(ra.selector).length === 0) && ra.targetRefs.length === 0,
    );
    const meshNames = new Set(meshWide.map((ra) => policyName(ra.source)));
    if (outcomes.length > 0 && meshWide.length > 0) {
      const w = outcomes[0];
      if (w) w.detail += ` ${listSome([...meshNames], 2)} is mesh-wide (root namespace, no selector) and adds its rules to every workload.`;
    }

    const notes: string[] = [];
    const applyingAps = p.authorizationPolicies.filter((a) => a.applies);
    // ALLOW policies are OR-ed (ISTIO-JWT §2.3): a rule-less ALLOW (the documented allow-nothing default-deny,
    // often mesh-wide in the root namespace) only denies everything when no other ALLOW policy allows something.
    const allowWithRules = applyingAps.filter((a) => a.action === 'ALLOW' && (a.rules?.length ?? 0) > 0);
    for (const ap of applyingAps) {
      if (ap.action === 'DENY') {
        const i = (ap.rules ?? []).findIndex(ruleMatchesEverything);
        if (i >= 0) {
          outcomes.push({
            status: 'warn',
            detail: `DENY ${policyName(ap.source)} rules[${i}] has no from/to/when, so it matches every request: all requests get 403 RBAC: access denied (rbac_access_denied_matched_policy[${rbacPolicyId(ap, i)}]).`,
            fix: `Add the from/to/when that should trigger the denial to rules[${i}] of ${policyName(ap.source)}, or delete it: kubectl delete authorizationpolicy ${ap.source.name} -n ${ap.source.namespace ?? ns}`,
          });
        }
      } else if (ap.action === 'ALLOW' && (ap.rules === undefined || ap.rules.length === 0)) {
        if (allowWithRules.length > 0) {
          notes.push(
            `ALLOW ${policyName(ap.source)} has no rules (default deny), and ${listSome(allowWithRules.map((a) => policyName(a.source)), 2)} allows what it should (ALLOW policies are OR-ed)`,
          );
          continue;
        }
        outcomes.push({
          status: 'warn',
          detail: `ALLOW ${policyName(ap.source)} has no rules, so it matches nothing, and no other ALLOW policy that applies has rules: every request gets 403 RBAC: access denied (rbac_access_denied_matched_policy[none]).`,
          fix: `Give ${policyName(ap.source)} rules (e.g. rules: [{from: [{source: {requestPrincipals: ["*"]}}]}]), or delete it if "deny all" was not intended.`,
        });
      }
    }

    // The collector marks only one of several matching service-specific Policies as applying; the others say why.
    const serviceLegacy = p.legacy.policies.filter(
      (lp) => lp.scope === 'service' && (lp.applies || lp.reason.startsWith('another service-specific Policy')),
    );
    if (serviceLegacy.length > 1) {
      const names = listSome(serviceLegacy.map((lp) => policyName(lp.source)), 3);
      outcomes.push({
        status: 'warn',
        detail: `${plural(serviceLegacy.length, 'service-specific legacy Policy', 'service-specific legacy Policies')} target the Service (${names}); Istio uses one of them, chosen arbitrarily, and ignores the others.`,
        fix: `Merge them into one Policy with spec.targets naming ${ctx.target.service}, and delete the rest (kubectl get policies.authentication.istio.io -n ${ns}).`,
      });
    }

    if (outcomes.length > 0) return outcomes;
    if (ras.length > 1) notes.push(`${plural(ras.length, 'RequestAuthentication')} merged: ${listSome(ras.map((ra) => policyName(ra.source)), 4)}`);
    else if (ras.length === 1 && ras[0]) notes.push(`one RequestAuthentication: ${policyName(ras[0].source)}`);
    if (meshWide.length > 0) notes.push(`${listSome([...meshNames], 2)} is mesh-wide (root namespace, no selector)`);
    const dupIssuers = rules.filter((r, i) => r.issuer && rules.findIndex((o) => o.issuer === r.issuer) !== i);
    if (dupIssuers.length > 0) notes.push(`issuer ${ruleSubject(dupIssuers[0] as JwtRule)} repeated with identical settings`);
    return { status: 'pass', detail: notes.length > 0 ? `No conflict; ${notes.join('; ')}.` : 'No conflict between the policies that apply.' };
  },
});
