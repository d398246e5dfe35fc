// Verifies that the token is within its lifetime: exp in the future and nbf not in the future, with Envoy's
// 60 s clock skew. An expired token gets 401 "Jwt is expired", an early one "Jwt not yet valid"; exp/nbf
// that are not numbers fail parsing. Envoy checks the issuer first, but time is reported independently.
// Source: jwt_verify_lib src/jwt.cc + struct_utils.cc (exp 0/absent = no expiry), ISTIO-JWT §4.1, §7 item 4.
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import { applyingRules } from './lib/policy.js';
import { durationInWords, isoFromEpochSeconds, onlyLegacy, refusalText, showValue, skipWithoutToken } from './lib/token-common.js';

/** jwt_verify_lib reads times as numbers (fractions truncated); anything else is a parse error. */
function readTime(claims: Record<string, unknown>, name: 'exp' | 'nbf' | 'iat'): CheckOutcome | number | undefined {
  const v = claims[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    return {
      status: 'fail',
      detail: `${name} is ${showValue(v)}: Envoy answers 401 "Jwt payload [${name}] field is not an integer"`,
      fix: `The IdP must write ${name} as a number of seconds since 1970 (NumericDate), not a string; check the IdP's token mappers.`,
    };
  }
  if (v < 0) {
    return {
      status: 'fail',
      detail: `${name} is ${v}: Envoy answers 401 "Jwt payload [${name}] field is not a positive 64 bit integer"`,
      fix: `The IdP must write ${name} as a positive number of seconds since 1970.`,
    };
  }
  return Math.trunc(v);
}

export default defineCheck({
  id: 'token.time',
  title: 'Token is within its validity period (exp, nbf)',
  docs: 'https://istio.io/latest/docs/tasks/security/authentication/authn-policy/',
  needs: [],
  // Only to word the refusal as the client sees it under a legacy Policy.
  uses: ['policies'],
  run({ token, policies }, ctx) {
    const skip = skipWithoutToken(token);
    if (skip) return skip;
    const legacy = policies.ok && onlyLegacy(applyingRules(policies.value));
    const claims = token.claims ?? {};
    const now = Math.floor(ctx.now.getTime() / 1000);
    const skew = ctx.clockSkewSeconds;
    const exp = readTime(claims, 'exp');
    const nbf = readTime(claims, 'nbf');
    const iat = readTime(claims, 'iat');
    for (const t of [exp, nbf, iat]) if (typeof t === 'object') return t;
    const expS = exp as number | undefined;
    const nbfS = nbf as number | undefined;
    const iatS = iat as number | undefined;
    const lifetime =
      expS && iatS !== undefined && expS > iatS ? ` (tokens from this IdP live ${durationInWords(expS - iatS)})` : '';

    if (nbfS !== undefined && nbfS > now + skew) {
      const skewHint =
        iatS !== undefined && iatS > now + skew
          ? ` and iat is ${durationInWords(iatS - now)} in the future too: the IdP's clock is ahead of the cluster's`
          : '';
      return {
        status: 'fail',
        detail:
          `nbf is in ${durationInWords(nbfS - now)} (${isoFromEpochSeconds(nbfS)}, beyond the ${skew} s skew): ` +
          `${refusalText('Jwt not yet valid', legacy)}${skewHint}`,
        fix: 'Clock skew between the IdP and the cluster? Sync both with NTP (check `date -u` on the IdP host and a node), or wait until nbf.',
      };
    }
    if (expS === undefined || expS === 0) {
      return {
        status: 'warn',
        detail: `the token has no exp${expS === 0 ? ' (exp is 0, which Envoy treats as absent)' : ''}: Envoy accepts it, but such a token never expires`,
        fix: 'Configure the IdP to set an expiry (exp) on tokens; a leaked token without exp stays valid until its key is rotated.',
      };
    }
    if (now > expS + skew) {
      return {
        status: 'fail',
        detail: `expired ${durationInWords(now - expS)} ago at ${isoFromEpochSeconds(expS)}: ${refusalText('Jwt is expired', legacy)}${lifetime}`,
        fix: 'Get a fresh token (clients must refresh before exp); if it was issued just now, check the IdP clock against the cluster (NTP).',
      };
    }
    if (now > expS) {
      return {
        status: 'warn',
        detail:
          `expired ${durationInWords(now - expS)} ago at ${isoFromEpochSeconds(expS)}: Envoy still accepts it ` +
          `within its ${skew} s clock skew, for ${durationInWords(expS + skew - now)} more`,
        fix: 'Get a fresh token: this one is about to be refused with 401 "Jwt is expired".',
      };
    }
    const issued =
      iatS === undefined
        ? ''
        : iatS > now
          ? `, iat ${durationInWords(iatS - now)} in the future (IdP clock ahead?)`
          : `, issued ${durationInWords(now - iatS)} ago`;
    return {
      status: 'pass',
      detail: `expires in ${durationInWords(expS - now)} at ${isoFromEpochSeconds(expS)}${issued}${nbfS !== undefined ? `, nbf ${isoFromEpochSeconds(nbfS)}` : ''}`,
    };
  },
});
