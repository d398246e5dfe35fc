/**
 * Things about a token's header and claims that explain or predict an Istio failure. Wording follows
 * Envoy's status strings where Envoy rejects the token for that reason (google/jwt_verify_lib src/jwt.cc),
 * so a user can match the warning with what curl printed. Values shown come from the decoded JSON only.
 */
import { durationInWords } from '../lib/time-words.js';
import { isEnvoyAlgorithm, ENVOY_ALGORITHMS } from './algorithms.js';

/** Envoy's default clock skew for exp/nbf (jwt_verify_lib kClockSkewInSecond). */
export const CLOCK_SKEW_S = 60;
/** Tokens meant to live longer than this are worth a word: they outlive key rotation and revocation. */
export const LONG_LIFETIME_S = 24 * 60 * 60;
const MS_PER_S = 1000;

type Json = Record<string, unknown>;

const show = (v: unknown): string => {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/** 2^64: StructUtils::GetUInt64 refuses numbers at or above it. */
const UINT64_LIMIT = 18446744073709551616;

/**
 * jwt_verify_lib reads iat/nbf/exp with StructUtils::GetUInt64 (google/jwt_verify_lib src/struct_utils.cc):
 * any JSON number in [0, 2^64) is accepted and a fraction is truncated (RFC 7519 NumericDate allows one);
 * only a non-number ("… is not an integer") and a negative or huge number ("… is not a positive 64 bit
 * integer") are refused.
 */
function integerClaimProblem(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') {
    return `Envoy rejects this token: "Jwt payload [${name}] field is not an integer" (${name} is ${show(value)}; it must be seconds since 1970 as a JSON number).`;
  }
  if (value < 0 || value >= UINT64_LIMIT) {
    return `Envoy rejects this token: "Jwt payload [${name}] field is not a positive 64 bit integer" (${name} is ${value}).`;
  }
  return undefined;
}

export function headerWarnings(header: Json): string[] {
  const warnings: string[] = [];
  const alg = header['alg'];
  if (alg === 'none') {
    warnings.push('alg is "none": the token is not signed, and Envoy rejects unsigned tokens.');
  } else if (typeof alg === 'string') {
    if (!isEnvoyAlgorithm(alg)) {
      warnings.push(`Envoy rejects this token: "Jwt header [alg] is not supported" (alg is ${show(alg)}; Envoy accepts ${ENVOY_ALGORITHMS.join(', ')}).`);
    } else if (alg.startsWith('HS')) {
      warnings.push(`alg is ${alg}: signed with a shared secret. Istio can only check it if the secret sits in an inline jwks as an "oct" key, which is rarely what you want; identity providers normally sign with RS256 or ES256.`);
    }
  }
  const kid = header['kid'];
  if (kid === undefined) {
    warnings.push('The header has no kid: Envoy then tries every key of the issuer\'s key set (and reports "Jwt verification fails" if none fits).');
  } else if (typeof kid !== 'string') {
    warnings.push(`Envoy rejects this token: "Jwt header [kid] field is not a string" (kid is ${show(kid)}).`);
  }
  const typ = header['typ'];
  if (typ !== undefined) {
    const t = typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : '';
    if (t !== 'jwt' && t !== 'at+jwt') {
      warnings.push(`The header typ is ${show(typ)}, not JWT or at+jwt: Envoy ignores typ, but this may not be an access token (a logout, refresh or other special-purpose token?).`);
    }
  }
  if (header['crit'] !== undefined) {
    warnings.push('The header has "crit" extensions: Envoy ignores them, other verifiers may refuse the token.');
  }
  return warnings;
}

export function claimWarnings(claims: Json): string[] {
  const warnings: string[] = [];
  for (const name of ['iss', 'sub', 'jti'] as const) {
    const v = claims[name];
    if (v !== undefined && typeof v !== 'string') {
      warnings.push(`Envoy rejects this token: "Jwt payload [${name}] field is not a string" (${name} is ${show(v)}).`);
    }
  }
  for (const name of ['iat', 'nbf', 'exp'] as const) {
    const problem = integerClaimProblem(name, claims[name]);
    if (problem) warnings.push(problem);
  }
  const aud = claims['aud'];
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))) {
    warnings.push(`Envoy rejects this token: "Jwt payload [aud] field is not a string or string list" (aud is ${show(aud)}).`);
  }

  const iss = claims['iss'];
  if (iss === undefined) {
    warnings.push('The token has no iss claim: Envoy cannot match it to any jwtRules issuer and answers 401 "Jwt issuer is not configured".');
  } else if (typeof iss === 'string' && iss.length > 1 && iss.endsWith('/')) {
    warnings.push(`iss ends with "/" (${show(iss)}): the RequestAuthentication issuer must match it exactly, trailing slash included.`);
  }
  if (claims['sub'] === undefined) {
    warnings.push('The token has no sub claim: AuthorizationPolicy requestPrincipals ("<iss>/<sub>") can never match it, so such policies deny it (istio/istio#59541).');
  }
  if (aud === undefined) {
    warnings.push('The token has no aud claim: any jwtRule that lists audiences rejects it with 403 "Audiences in Jwt are not allowed".');
  }
  const exp = claims['exp'];
  if (exp === undefined || exp === 0) {
    warnings.push('The token has no exp: Envoy accepts tokens without an expiry, so it never expires — make sure the identity provider meant that.');
  }
  const start = typeof claims['iat'] === 'number' ? claims['iat'] : claims['nbf'];
  if (typeof exp === 'number' && typeof start === 'number' && exp - start > LONG_LIFETIME_S) {
    warnings.push(`The token lives ${durationInWords((exp - start) * MS_PER_S)} (longer than 24 h): it outlives key rotation and cannot be revoked.`);
  }
  return warnings;
}

/** exp/nbf/iat against `now`, with Envoy's 60 s skew. */
export function timeWarnings(claims: Json, now: Date): string[] {
  const warnings: string[] = [];
  const nowS = now.getTime() / MS_PER_S;
  const exp = claims['exp'];
  if (typeof exp === 'number' && Number.isFinite(exp) && exp !== 0) {
    const ago = durationInWords((nowS - exp) * MS_PER_S);
    if (nowS > exp + CLOCK_SKEW_S) {
      warnings.push(`Jwt is expired: it expired ${ago} ago (Envoy allows ${CLOCK_SKEW_S} s of clock skew). Get a fresh token.`);
    } else if (nowS > exp) {
      warnings.push(`The token expired ${ago} ago but is still inside Envoy's ${CLOCK_SKEW_S} s clock skew: it will be rejected with "Jwt is expired" within a minute.`);
    }
  }
  const nbf = claims['nbf'];
  if (typeof nbf === 'number' && Number.isFinite(nbf) && nowS + CLOCK_SKEW_S < nbf) {
    warnings.push(`Jwt not yet valid: nbf is ${durationInWords((nbf - nowS) * MS_PER_S)} in the future (the identity provider's clock and the cluster's disagree?).`);
  }
  const iat = claims['iat'];
  if (typeof iat === 'number' && Number.isFinite(iat) && nowS + CLOCK_SKEW_S < iat) {
    warnings.push(`iat is ${durationInWords((iat - nowS) * MS_PER_S)} in the future: the identity provider's clock is ahead (Envoy does not check iat, but nbf usually follows it).`);
  }
  return warnings;
}
