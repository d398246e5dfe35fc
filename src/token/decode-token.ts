/**
 * Reads a pasted token the way Envoy's jwt_verify_lib parses it (src/jwt.cc), without verifying it:
 * every format problem is named with the status Envoy would answer, so "why 401?" is answered
 * before any cluster read. The raw token never leaves this function: the evidence keeps only the
 * decoded header and claims (public by construction) and a fingerprint. Never throws.
 */
import type { TokenEvidence, TokenFormatProblem } from '../model/index.js';
import { decodeBase64Url } from '../istio/jwks-summary.js';
import { tokenFingerprint } from './fingerprint.js';
import { normaliseInput } from './normalise-input.js';
import { claimWarnings, headerWarnings } from './token-warnings.js';

/** Above this we do not even parse: no IdP issues such tokens, and Envoy's header limit is 60 KiB. */
export const MAX_TOKEN_BYTES = 64 * 1024;

const ENVOY_BAD_FORMAT = 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections';

type Json = Record<string, unknown>;

/** The evidence when no token was given at all (checks that need one are skipped). */
export function noTokenEvidence(): TokenEvidence {
  return { provided: false, warnings: [], verification: {} };
}

export function decodeToken(raw: string): TokenEvidence {
  try {
    return decode(typeof raw === 'string' ? raw : '');
  } catch {
    // Defensive: nothing above should throw, but a diagnosis must never die on its input.
    return { provided: true, problem: { code: 'bad-json', message: 'The token could not be read.' }, warnings: [], verification: {} };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type PartResult = { ok: true; value: Json } | { ok: false; code: TokenFormatProblem; message: string };

/** Decodes one base64url JSON part of a compact token (header or payload). */
const MAX_JSON_DEPTH = 32;

/** Depth of nested objects/arrays, iteratively (no recursion), stopping once past `limit`. */
function nestingDepth(root: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export function decodeJsonPart(part: string, name: 'header' | 'payload'): PartResult {
  const bytes = decodeBase64Url(part);
  if (!bytes) {
    const standard = /[+/]/.test(part)
      ? ' It uses standard base64 ("+" "/"), not base64url ("-" "_"): the token was re-encoded by something.'
      : '';
    return { ok: false, code: 'bad-base64', message: `Jwt ${name} is an invalid Base64url encoded.${standard}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return { ok: false, code: 'bad-json', message: `Jwt ${name} is an invalid JSON.` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'bad-json', message: `Jwt ${name} is an invalid JSON (not a JSON object).` };
  }
  // Real claims nest a few levels; thousands would overflow every recursive renderer downstream.
  if (nestingDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    return { ok: false, code: 'bad-json', message: `Jwt ${name} is nested more than ${MAX_JSON_DEPTH} levels deep: that is not a real JWT ${name}.` };
  }
  return { ok: true, value: value as Json };
}

function partsProblem(count: number, header: Json | undefined): { code: TokenFormatProblem; message: string } {
  if (count === 5) {
    const enc = header && typeof header['enc'] === 'string' ? ` (enc ${header['enc']})` : '';
    return {
      code: 'jwe',
      message: `This is an encrypted token (JWE)${enc}; Istio only validates signed JWTs (JWS). Envoy answers 401 "${ENVOY_BAD_FORMAT}". Ask the identity provider for a signed, unencrypted access token.`,
    };
  }
  if (count === 1) {
    return {
      code: 'not-three-parts',
      message: `This is an opaque access token, not a JWT (it has no dots): Envoy answers 401 "${ENVOY_BAD_FORMAT}" for any request carrying it, even on paths an AuthorizationPolicy allows.`,
    };
  }
  if (count === 2) {
    return {
      code: 'not-three-parts',
      message: `The token has 2 parts, not 3: it looks truncated (the signature is missing). Envoy answers 401 "${ENVOY_BAD_FORMAT}".`,
    };
  }
  return {
    code: 'not-three-parts',
    message: `The token has ${count} parts (${count - 1} dots), not 3: Envoy answers 401 "${ENVOY_BAD_FORMAT}".`,
  };
}

function decode(raw: string): TokenEvidence {
  const ev: TokenEvidence = { provided: true, warnings: [], verification: {} };
  if (Buffer.byteLength(raw, 'utf8') > MAX_TOKEN_BYTES) {
    ev.problem = { code: 'too-large', message: `The text is larger than ${MAX_TOKEN_BYTES / 1024} KiB: that is not a token (a whole file or log pasted?).` };
    return ev;
  }
  const input = normaliseInput(raw);
  ev.warnings.push(...input.warnings);
  if (input.token === '') {
    const what = input.hadBearerPrefix ? 'Only the word "Bearer" was given, no token.' : 'The token is empty.';
    ev.problem = { code: 'empty', message: what };
    return ev;
  }
  const token = input.token;
  ev.fingerprint = tokenFingerprint(token);
  if (input.hadBearerPrefix) ev.pastedWithBearer = true;

  const parts = token.split('.');
  const [h = '', p = '', s = ''] = parts;

  // Decode what can be decoded even when the shape is wrong: a JWE's header says what it is.
  const header = h === '' ? undefined : decodeJsonPart(h, 'header');
  if (header?.ok) ev.header = header.value;
  if (parts.length !== 3) {
    ev.problem = partsProblem(parts.length, ev.header);
    if (parts.length !== 5) delete ev.header;
    return ev;
  }

  const payload = p === '' ? undefined : decodeJsonPart(p, 'payload');
  if (payload?.ok) ev.claims = payload.value;

  const alg = ev.header?.['alg'];
  if (alg === 'none') {
    ev.problem = {
      code: 'alg-none',
      message: `The header says alg "none": the token is unsigned. Envoy rejects it with 401 (${s === '' ? `"${ENVOY_BAD_FORMAT}"` : '"Jwt header [alg] is not supported"'}).`,
    };
  } else if (h === '' || p === '' || s === '') {
    const empty = h === '' ? 'header' : p === '' ? 'payload' : 'signature';
    ev.problem = { code: 'not-three-parts', message: `The ${empty} part is empty: Envoy answers 401 "${ENVOY_BAD_FORMAT}".` };
  } else if (header && !header.ok) {
    ev.problem = { code: header.code, message: header.message };
  } else if (alg === undefined || typeof alg !== 'string') {
    ev.problem = { code: 'alg-missing', message: 'Jwt header [alg] field is required and must be a string.' };
  } else if (payload && !payload.ok) {
    ev.problem = { code: payload.code, message: payload.message };
  } else if (!decodeBase64Url(s)) {
    const standard = /[+/]/.test(s) ? ' It uses standard base64 ("+" "/"), not base64url.' : '';
    ev.problem = { code: 'bad-base64', message: `Jwt signature is an invalid Base64url encoded.${standard}` };
  }

  if ([h, p, s].some((part) => part.endsWith('='))) {
    ev.warnings.push('The token carries base64 "=" padding: Envoy tolerates it, but JWTs must not be padded (RFC 7515) and other verifiers refuse it.');
  }
  if (ev.header) ev.warnings.push(...headerWarnings(ev.header));
  if (ev.claims) ev.warnings.push(...claimWarnings(ev.claims));
  return ev;
}
