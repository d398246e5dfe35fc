// Verifies, per JWT rule that would judge the token, that the token's kid/alg select a key of that rule's
// live key set and the signature verifies with it. Envoy answers 401 "Jwks doesn't have key to match kid
// or alg from Jwt" (no candidate key: rotation, another realm) or "Jwt verification fails" (wrong key).
// Source: jwt_verify_lib src/verify.cc, ISTIO-JWT §3.1 (20 min refresh, no refetch on unknown kid), §4.1, §7 item 3.
import type { IssuerEvidence, JwtRule, TokenEvidence } from '../model/index.js';
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import { ruleSubject } from './lib/policy.js';
import { perRuleForToken, quoteList, refusalText, slotValue } from './lib/token-common.js';

const RESTART_ISTIOD = 'kubectl -n istio-system rollout restart deployment/istiod';

function headerString(token: TokenEvidence, name: string): string | undefined {
  const v = token.header?.[name];
  return typeof v === 'string' ? v : undefined;
}

function judge(rule: JwtRule, token: TokenEvidence, issuer: IssuerEvidence | undefined): CheckOutcome {
  const subject = ruleSubject(rule);
  const kid = headerString(token, 'kid');
  const alg = headerString(token, 'alg');
  const v = token.verification[rule.key];
  const keySet = issuer?.keySet;
  const keys = keySet?.ok ? keySet.value.keys : [];
  const kids = keys.map((k) => k.kid).filter((k): k is string => !!k);
  const where = issuer?.keySetUrl ?? (rule.jwks ? 'the inline jwks' : 'the key set');
  if (!v || v.outcome === 'not-attempted') {
    if (keySet && !keySet.ok) {
      return { status: 'skip', subject, detail: `the key set could not be read (${keySet.error.message}): see issuer.jwks` };
    }
    if (!keySet) return { status: 'skip', subject, detail: 'no key set was found for this rule: see issuer.jwks' };
    return {
      status: 'error',
      subject,
      detail: `the signature was not checked against ${where}${v ? `: ${v.message}` : ''}`,
      fix: 'Run the diagnosis again; if it persists, report it with --json output.',
    };
  }
  switch (v.outcome) {
    case 'verified':
      // A JWK without kid is a candidate for any token kid (jwt_verify_lib src/verify.cc, commit b59e807): naming the
      // token's kid here would send people looking for a key that is not in the set.
      return {
        status: 'pass',
        subject,
        detail: v.kid
          ? `signature verified with key ${v.kid} from ${where}`
          : `signature verified with the key set's key without a kid (Envoy tries it for any kid) from ${where}`,
      };
    case 'no-matching-key': {
      const sameKid = keys.find((k) => kid !== undefined && k.kid === kid);
      const why = sameKid
        ? `kid ${JSON.stringify(kid)} is there but for alg ${sameKid.alg ?? '?'}, the token uses ${alg ?? '?'}`
        : `token kid ${kid === undefined ? '(none)' : JSON.stringify(kid)}, key set kids ${quoteList(kids)}`;
      return {
        status: 'fail',
        subject,
        detail: `${refusalText("Jwks doesn't have key to match kid or alg from Jwt", rule.api === 'legacy')}: ${why} (${where})`,
        fix: sameKid
          ? `Make the token's alg (${alg ?? '?'}) and the key's alg agree: change the IdP's signing algorithm or the key's "alg".`
          : 'The IdP does not publish the key that signed this token: it is from another realm/tenant/environment (use that issuer), ' +
            'or signed with a key the IdP has retired (get a fresh token). Right after a key rotation, istiod picks up new keys within ' +
            `PILOT_JWT_PUB_KEY_REFRESH_INTERVAL (20 min by default); to refetch now: ${RESTART_ISTIOD}.`,
      };
    }
    case 'signature-invalid':
      return {
        status: 'fail',
        subject,
        detail: `${refusalText('Jwt verification fails', rule.api === 'legacy')}: a key matched kid ${kid === undefined ? '(none)' : JSON.stringify(kid)} in ${where} but the signature does not verify (${v.message})`,
        fix:
          'The token was altered or truncated, or signed by a different key under the same kid (another environment of the IdP, ' +
          'or an HS* secret that differs): take a fresh token from the IdP this rule names.',
      };
    case 'no-keys':
      return {
        status: 'fail',
        subject,
        detail: `${refusalText("Jwks doesn't have any valid public key", rule.api === 'legacy')}: ${where} holds no usable signing key (${v.message})`,
        fix: 'Fix the key set (see issuer.jwks): it must list the IdP\'s public signing keys (kty RSA/EC/OKP, use "sig").',
      };
    case 'unsupported-alg':
      return {
        status: 'fail',
        subject,
        detail: `${refusalText('Jwt header [alg] is not supported', rule.api === 'legacy')}: alg ${alg ?? '(none)'} (${v.message})`,
        fix: 'Configure the IdP to sign with RS256/ES256 (or another alg Envoy supports).',
      };
  }
}

export default defineCheck({
  id: 'token.signature',
  title: "Token signature verifies with the issuer's keys",
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies', 'issuers'],
  // Only to pick the release's rule when several providers name the token's issuer.
  uses: ['istio'],
  run({ token, policies, issuers, istio }) {
    return perRuleForToken(token, policies, (rule) => judge(rule, token, slotValue(issuers)[rule.key]), istio);
  },
});
