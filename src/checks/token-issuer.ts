// Verifies that the token's iss equals, byte for byte, the issuer of a JWT rule that applies to the workload.
// Envoy checks the issuer first: any other iss gets 401 "Jwt issuer is not configured", even when an
// AuthorizationPolicy would allow the path (istio#24371). Near misses (trailing slash, http/https, internal
// vs external host, Keycloak /auth) are ISTIO-JWT §7 item 1; rules without issuer (1.27+) accept any iss.
import { defineCheck } from '../engine/check.js';
import { applyingRules, ruleOrigin } from './lib/policy.js';
import { onlyLegacy, quoteList, refusalText, showValue, skipWithoutToken, slotValue } from './lib/token-common.js';
import { closestIssuer } from './lib/token-issuer-match.js';

export default defineCheck({
  id: 'token.issuer',
  title: 'Token issuer (iss) is one the workload accepts',
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies'],
  run({ token, policies }) {
    const skip = skipWithoutToken(token);
    if (skip) return skip;
    const rules = applyingRules(slotValue(policies));
    if (rules.length === 0) {
      return {
        status: 'skip',
        detail: 'no JWT rule applies to the workload, so Envoy does not look at the token: see policy.jwt-rules',
      };
    }
    const raw = token.claims?.['iss'];
    if (raw !== undefined && typeof raw !== 'string') {
      return {
        status: 'fail',
        detail: `iss is ${showValue(raw)}, not a string: Envoy answers 401 "Jwt payload [iss] field is not a string"`,
        fix: 'The IdP must put the issuer URL as a string into iss; check the IdP client/token mapper settings.',
      };
    }
    const iss = raw;
    const exact = rules.find((r) => r.issuer !== undefined && r.issuer !== '' && r.issuer === iss);
    if (exact?.issuer) {
      return { status: 'pass', subject: exact.issuer, detail: `iss ${JSON.stringify(iss)} is the issuer of ${ruleOrigin(exact)}` };
    }
    const open = rules.find((r) => r.issuer === undefined || r.issuer === '');
    if (open) {
      return {
        status: 'pass',
        subject: open.jwksUri ?? open.key,
        detail:
          `${ruleOrigin(open)} has no issuer (jwksUri only, Istio 1.27+), so any iss is accepted` +
          ` (the token says ${iss === undefined ? 'no iss' : JSON.stringify(iss)}); its keys must still verify the token`,
      };
    }
    const configured = [...new Set(rules.map((r) => r.issuer).filter((i): i is string => !!i))];
    if (iss === undefined) {
      return {
        status: 'fail',
        detail: `the token has no iss; configured issuers: ${quoteList(configured)} → ${refusalText('Jwt issuer is not configured', onlyLegacy(rules))}`,
        fix: 'Use a token from the IdP named by the RequestAuthentication (its tokens carry iss), or remove issuer and set jwksUri (Istio 1.27+).',
      };
    }
    const near = closestIssuer(iss, configured);
    const nearText = near ? `; near miss with ${JSON.stringify(near.configured)}: ${near.differences.join('; ')}` : '';
    const target = near ? rules.find((r) => r.issuer === near.configured) : rules[0];
    const where = target ? `${ruleOrigin(target)}` : 'the RequestAuthentication';
    return {
      status: 'fail',
      detail:
        `token iss ${JSON.stringify(iss)} is not a configured issuer (${quoteList(configured)}) → ` +
        `${refusalText('Jwt issuer is not configured', onlyLegacy(rules))}${nearText}`,
      fix:
        `Set issuer in ${where} to exactly ${JSON.stringify(iss)} (or add a jwtRule for it), ` +
        `or make the IdP issue ${JSON.stringify(near?.configured ?? configured[0] ?? '')} ` +
        '(e.g. set its frontend/hostname URL so iss does not depend on the host it was called on).',
    };
  },
});
