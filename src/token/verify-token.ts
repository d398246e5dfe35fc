/**
 * Checks only the signature of a token against one key set, choosing keys exactly as Envoy does
 * (google/jwt_verify_lib src/verify.cc): a JWK with a kid is skipped when the token's kid differs, a JWK
 * with an alg is skipped when it differs, a token without kid tries every key. The outcome names the
 * status Envoy would answer. Times, issuer and audience are other checks. Never throws.
 */
import { createPublicKey, verify as nodeVerify, constants, type JsonWebKey } from 'node:crypto';
import { compactVerify, importJWK, type JWK } from 'jose';
import type { TokenVerification } from '../model/index.js';
import { envoyLoadsKey, placeholderKind, summariseJwk } from '../istio/jwks-summary.js';
import { ENVOY_ALGORITHMS } from './algorithms.js';
import { decodeJsonPart } from './decode-token.js';
import { normaliseInput } from './normalise-input.js';

export interface VerifyOptions {
  /** Allow-list of token algorithms; default: every algorithm Envoy implements. */
  algorithms?: string[];
}

type Json = Record<string, unknown>;

/** The public members only: `use`, `key_ops` or private parts must not change what is imported. */
const PUBLIC_MEMBERS = ['kty', 'n', 'e', 'crv', 'x', 'y', 'k'] as const;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export async function verifyToken(
  raw: string,
  jwks: { keys: Record<string, unknown>[] },
  options: VerifyOptions = {},
): Promise<TokenVerification> {
  try {
    return await verify(raw, jwks, options);
  } catch {
    return { outcome: 'not-attempted', message: 'The signature could not be checked (unexpected error while reading the key set).' };
  }
}

async function verify(raw: string, jwks: { keys: Record<string, unknown>[] }, options: VerifyOptions): Promise<TokenVerification> {
  const { token } = normaliseInput(typeof raw === 'string' ? raw : '');
  const parts = token.split('.');
  const [h = '', , s = ''] = parts;
  if (parts.length !== 3 || parts.some((p) => p === '')) {
    return { outcome: 'not-attempted', message: 'The token is not a signed JWT (three parts), so there is no signature to check.' };
  }
  const header = decodeJsonPart(h, 'header');
  if (!header.ok) return { outcome: 'not-attempted', message: `The signature was not checked: ${header.message}` };
  const alg = header.value['alg'];
  if (typeof alg !== 'string') {
    return { outcome: 'not-attempted', message: 'The signature was not checked: Jwt header [alg] field is required and must be a string.' };
  }
  const allowed = options.algorithms ?? ENVOY_ALGORITHMS;
  if (!ENVOY_ALGORITHMS.includes(alg) || !allowed.includes(alg)) {
    return {
      outcome: 'unsupported-alg',
      message: `Jwt header [alg] is not supported: the token uses ${JSON.stringify(alg)}; accepted: ${allowed.filter((a) => ENVOY_ALGORITHMS.includes(a)).join(', ')}.`,
    };
  }
  const kidValue = header.value['kid'];
  if (kidValue !== undefined && typeof kidValue !== 'string') {
    return { outcome: 'not-attempted', message: 'The signature was not checked: Jwt header [kid] field is not a string.' };
  }
  const kid = kidValue ?? '';

  const all: unknown[] = Array.isArray(jwks?.keys) ? jwks.keys : [];
  const loaded = all.filter(envoyLoadsKey) as Json[];
  if (loaded.length === 0) {
    const why = all.length === 0 ? 'the key set is empty' : `none of its ${all.length} key(s) loads: ${summariseJwk(all[0]).problem ?? 'unusable'}`;
    return { outcome: 'no-keys', message: `Jwks doesn't have any valid public key (${why}).` };
  }

  const candidates = loaded.filter((k) => {
    const jwkKid = str(k['kid']);
    const jwkAlg = str(k['alg']);
    if (kid !== '' && jwkKid !== '' && jwkKid !== kid) return false;
    return jwkAlg === '' || jwkAlg === alg;
  });
  if (candidates.length === 0) {
    const kids = loaded.map((k) => (str(k['kid']) !== '' ? str(k['kid']) : '(no kid)'));
    const sameKid = loaded.filter((k) => str(k['kid']) === kid);
    const algNote = sameKid.length > 0 ? ` A key with that kid exists but is for alg ${sameKid.map((k) => str(k['alg'])).join('/')}.` : '';
    return {
      outcome: 'no-matching-key',
      message: `Jwks doesn't have key to match kid or alg from Jwt: the token has kid ${JSON.stringify(kid)} and alg ${alg}; the key set has kid ${kids.join(', ')}.${algNote}`,
    };
  }

  for (const candidate of candidates) {
    if (await verifiesWith(token, candidate, alg, s)) {
      const verified: TokenVerification = { outcome: 'verified', message: `The signature verifies with ${describe(candidate)}.` };
      if (str(candidate['kid']) !== '') verified.kid = str(candidate['kid']);
      return verified;
    }
  }
  const placeholders = candidates.filter((k) => placeholderKind(str(k['n']), str(k['kid'])) !== undefined);
  const placeholderNote =
    placeholders.length > 0 ? " The key tried is Istio's placeholder key: istiod could not fetch the real keys." : '';
  return {
    outcome: 'signature-invalid',
    message: `Jwt verification fails: ${candidates.length} key(s) matched by kid/alg (${candidates.map(describe).join(', ')}) but none verifies the signature.${placeholderNote}`,
  };
}

function describe(k: Json): string {
  const kid = str(k['kid']);
  return `${str(k['alg']) || str(k['kty']) || 'key'} ${kid !== '' ? `kid=${kid}` : '(no kid)'}`;
}

function publicPart(k: Json): Json {
  const out: Json = {};
  for (const m of PUBLIC_MEMBERS) if (k[m] !== undefined) out[m] = k[m];
  return out;
}

async function verifiesWith(token: string, jwk: Json, alg: string, signature: string): Promise<boolean> {
  const pub = publicPart(jwk);
  try {
    const key = await importJWK(pub as JWK, alg);
    await compactVerify(token, key, { algorithms: [alg] });
    return true;
  } catch (err) {
    // jose refuses RSA keys under 2048 bits; Envoy does not, so check those with node:crypto.
    if (err instanceof TypeError && /modulusLength/.test(err.message) && pub['kty'] === 'RSA') {
      return verifyShortRsa(token, pub, alg, signature);
    }
    return false;
  }
}

function verifyShortRsa(token: string, pub: Json, alg: string, signature: string): boolean {
  try {
    const digest = `sha${alg.slice(2)}`;
    const key = createPublicKey({ key: pub as JsonWebKey, format: 'jwk' });
    const signed = Buffer.from(token.slice(0, token.lastIndexOf('.')), 'ascii');
    const sig = Buffer.from(signature, 'base64url');
    if (alg.startsWith('PS')) {
      return nodeVerify(digest, signed, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, sig);
    }
    return nodeVerify(digest, signed, key, sig);
  } catch {
    return false;
  }
}
