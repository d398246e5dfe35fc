// Verifies that the token given is a compact JWS Envoy can parse: three base64url parts, JSON header and
// payload, `alg` set and not `none`. A token Envoy cannot parse gets 401 before any policy is looked at,
// even on paths an AuthorizationPolicy allows (istio#24371, #27943). Status strings: jwt_verify_lib
// src/status.cc (ISTIO-JWT §4.1, §7 item 6).
import type { TokenFormatProblem } from '../model/index.js';
import { defineCheck } from '../engine/check.js';
import { NO_TOKEN_DETAIL } from './lib/token-common.js';

/** What Envoy answers for each problem (401 body) and what to do about it. */
const PROBLEMS: Record<TokenFormatProblem, { envoy: string; fix: string }> = {
  empty: {
    envoy: 'Jwt is missing',
    fix: 'Paste the whole token (the three dot-separated parts starting with "eyJ"), not an empty line.',
  },
  'bearer-prefix': {
    envoy: 'the token itself is fine once the prefix is removed',
    fix: 'Give jwtcheck the token without the leading "Bearer " — the prefix belongs only in the Authorization header.',
  },
  'not-three-parts': {
    envoy: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
    fix:
      'Paste the whole token (it may be truncated). If it has no dots at all it is an opaque access token: ' +
      'ask the IdP for a JWT access token (e.g. an API/audience in Auth0, "JWT" access-token format) or send the ID token.',
  },
  jwe: {
    envoy: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
    fix: 'This is an encrypted token (JWE, five parts): Istio cannot decrypt it. Configure the IdP to issue signed (JWS) tokens for this client.',
  },
  'bad-base64': {
    envoy: 'Jwt header is an invalid Base64url encoded',
    fix: 'The token was damaged when copied (line breaks, "…", quotes): copy it again from the source, in one piece.',
  },
  'bad-json': {
    envoy: 'Jwt header is an invalid JSON',
    fix: 'The header or payload is not JSON: this is not a JWT from an IdP, or it was damaged when copied. Copy it again.',
  },
  'alg-missing': {
    envoy: 'Jwt header [alg] field is required and must be a string',
    fix: 'The IdP must sign the token and set "alg" (e.g. RS256) in the header; check the client/token settings at the IdP.',
  },
  'alg-none': {
    envoy: 'Jwt header [alg] is not supported',
    fix: 'An unsigned token (alg "none") is never accepted by Istio: configure the IdP to sign tokens (RS256 or ES256).',
  },
  'too-large': {
    envoy: 'the request may be refused before JWT checks (431/413: Envoy header limit 60 KiB by default)',
    fix: 'Ask the IdP for a smaller token (fewer groups/roles claims), or make sure you pasted only one token.',
  },
};

/** Algorithms jwt_verify_lib verifies (src/verify.cc). */
const SUPPORTED_ALGS = new Set([
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512', 'EdDSA',
]);

export default defineCheck({
  id: 'token.format',
  title: 'Token is a signed JWT Envoy can parse',
  docs: 'https://istio.io/latest/docs/ops/common-problems/security-issues/',
  needs: [],
  run({ token }) {
    if (!token.provided) return { status: 'skip', detail: NO_TOKEN_DETAIL };
    if (token.problem) {
      const p = PROBLEMS[token.problem.code];
      return {
        status: 'fail',
        detail: `${token.problem.code}: ${token.problem.message} (Envoy: ${p.envoy})`,
        fix: p.fix,
      };
    }
    const h = token.header ?? {};
    if (h['kid'] !== undefined && typeof h['kid'] !== 'string') {
      return {
        status: 'fail',
        detail: `header kid is ${JSON.stringify(h['kid'])}, not a string (Envoy: Jwt header [kid] field is not a string)`,
        fix: 'The IdP must write kid as a string; check the signing-key settings at the IdP.',
      };
    }
    const alg = typeof h['alg'] === 'string' ? h['alg'] : '';
    if (alg && !SUPPORTED_ALGS.has(alg)) {
      return {
        status: 'fail',
        detail: `header alg ${JSON.stringify(alg)} is not one Envoy verifies (Envoy: Jwt header [alg] is not supported)`,
        fix: `Configure the IdP to sign with one of ${[...SUPPORTED_ALGS].join(', ')} (RS256 is the usual choice).`,
      };
    }
    const show = (name: string): string => (typeof h[name] === 'string' ? (h[name] as string) : '(none)');
    const warnings = token.warnings.length ? `; warnings: ${token.warnings.join('; ')}` : '';
    if (token.pastedWithBearer) {
      // The token itself is fine, but a client that sends what was pasted gets 401 "Jwt is not in the form…".
      return {
        status: 'warn',
        detail: `the text starts with "Bearer ": the JWT after it (alg ${show('alg')}, kid ${show('kid')}, fingerprint ${token.fingerprint ?? '?'}) was checked`,
        fix: 'Send the token as `Authorization: Bearer <token>` with the word exactly once; a token stored with its prefix ends up as "Bearer Bearer …" and is refused.',
      };
    }
    return {
      status: 'pass',
      detail: `alg ${show('alg')}, kid ${show('kid')}, typ ${show('typ')}, fingerprint ${token.fingerprint ?? '?'}${warnings}`,
    };
  },
});
