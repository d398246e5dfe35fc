import { createPublicKey, X509Certificate } from 'node:crypto';
import type { JwkSummary, KeySetInfo } from '../model/index.js';

/**
 * Reads a key set the way Envoy's jwt_verify_lib does (google/jwt_verify_lib src/jwks.cc), so that
 * "usable" means what the proxy would think, and problems use Envoy's own status strings.
 * google/jwt_verify_lib stops at the first key it cannot load and fails the whole set with that key's
 * status (inline, that NACKs the listener: ISTIO-JWT §4.2); only the newest Envoy, with its in-tree copy
 * (source/common/jwt/jwks.cc), skips a bad key when another one loads. So any bad key matters.
 * Envoy never reads `use`: an encryption key (Keycloak's RSA-OAEP key) loads like any other RSA key.
 * Non-object entries of [keys] are skipped by every version.
 */

export type JwksSummaryResult = { ok: true; value: KeySetInfo } | { ok: false; message: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

/** absl::WebSafeBase64Unescape: web-safe alphabet, padding optional but, when present, correct. */
export function decodeBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (text.length !== body.length && text.length % 4 !== 0) return undefined;
  return Buffer.from(body, 'base64url');
}

// ---------------------------------------------------------------- Istio's placeholder keys

/** Prefixes of the modulus of Istio's fixed placeholder keys (ISTIO-JWT.md §3.2). */
export const PLACEHOLDER_N_PREFIXES: readonly { prefix: string; releases: string }[] = [
  { prefix: 'vqS7RN4b34i3_5YyhygtBe33gI6GK_0ldW8W', releases: 'Istio 1.21–1.28.4 / 1.29.0 FakeJwks' },
  { prefix: '0xObjM0UvS_oaazjpEYlAbwctEJ4L8pH3OuTb7qth7g', releases: 'Istio 1.28.5+ / 1.29.1+ public-only JWKS' },
];
/** base64url("Error-IstiodFailedToFetchJwksUri-"): the 1.15–1.20 placeholder modulus. */
export const PLACEHOLDER_ERROR_B64 = 'RXJyb3ItSXN0aW9kRmFpbGVkVG9GZXRjaEp3a3NVcmkt';
export const PLACEHOLDER_ERROR_TEXT = 'Error-IstiodFailedToFetchJwksUri';

/** Which placeholder a modulus (and kid) is, or undefined for a real key. */
export function placeholderKind(n: string, kid?: string): string | undefined {
  for (const { prefix, releases } of PLACEHOLDER_N_PREFIXES) if (n.startsWith(prefix)) return releases;
  if (n.includes(PLACEHOLDER_ERROR_TEXT)) return 'Istio 1.8–1.14 fake JWKS (kid "abc")';
  // "RXJyb3It" is base64url("Error-"); with kid "abc" that is istiod's 1.15–1.20 fake key.
  if (n.startsWith(PLACEHOLDER_ERROR_B64) || (kid === 'abc' && n.startsWith('RXJyb3It'))) {
    return 'Istio 1.15–1.20 fake JWKS (kid "abc")';
  }
  return undefined;
}

/** Placeholder markers found anywhere in free text (a config dump, a log line). */
export function placeholderMarkersIn(text: string): string[] {
  const found: string[] = [];
  for (const { prefix, releases } of PLACEHOLDER_N_PREFIXES) {
    if (text.includes(prefix)) found.push(`placeholder key n=${prefix.slice(0, 12)}… (${releases})`);
  }
  if (text.includes(PLACEHOLDER_ERROR_B64)) {
    found.push(`placeholder key n=${PLACEHOLDER_ERROR_B64.slice(0, 12)}… (Istio 1.15–1.20 fake JWKS, kid "abc")`);
  } else if (text.includes(PLACEHOLDER_ERROR_TEXT)) {
    found.push(`placeholder key n=${PLACEHOLDER_ERROR_TEXT}-… (Istio 1.8–1.14 fake JWKS, kid "abc")`);
  }
  return found;
}

// ---------------------------------------------------------------- one key

const EC_ALG_CRV = new Map([
  ['ES256', 'P-256'],
  ['ES384', 'P-384'],
  ['ES512', 'P-521'],
]);
const EC_CURVES = new Set(EC_ALG_CRV.values());
const HMAC_ALGS = new Set(['HS256', 'HS384', 'HS512']);
const ED25519_PUBLIC_KEY_BYTES = 32;

const EC_COORDINATE_BYTES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

/** Big-endian bytes as BN_bin2bn reads them, re-encoded at the curve's fixed width (undefined: too big). */
function fixedWidth(bytes: Buffer, width: number): Buffer | undefined {
  const first = bytes.findIndex((b) => b !== 0);
  const significant = first < 0 ? Buffer.alloc(0) : bytes.subarray(first);
  if (significant.length > width) return undefined;
  return Buffer.concat([Buffer.alloc(width - significant.length), significant]);
}

function pointOnCurve(curve: string, x: Buffer, y: Buffer): boolean {
  const width = EC_COORDINATE_BYTES[curve] ?? 0;
  const fx = fixedWidth(x, width);
  const fy = fixedWidth(y, width);
  if (!fx || !fy) return false;
  try {
    createPublicKey({ key: { kty: 'EC', crv: curve, x: fx.toString('base64url'), y: fy.toString('base64url') }, format: 'jwk' });
    return true;
  } catch {
    return false;
  }
}

/** Envoy's verdict on one JWK: undefined when it loads, else its status string. */
function envoyKeyProblem(key: Json): string | undefined {
  const kty = key['kty'];
  if (kty === undefined) return '[kty] is missing in [keys]';
  if (typeof kty !== 'string') return '[kty] is bad in [keys]';
  // jwt_verify_lib: an `alg` that is not a string counts as absent; a string one (even "") is checked.
  const algSpecified = typeof key['alg'] === 'string';
  const alg = algSpecified ? (key['alg'] as string) : '';
  const str = (name: string): string | undefined | null =>
    key[name] === undefined ? undefined : typeof key[name] === 'string' ? key[name] : null;

  switch (kty) {
    case 'RSA': {
      // Only the prefix is checked: RSA-OAEP / RSA-OAEP-256 / RSA1_5 (encryption algs) start with "RS" and load.
      if (algSpecified && !alg.startsWith('RS') && !alg.startsWith('PS')) {
        return `[alg] is not started with [RS] or [PS] for an RSA key (alg is "${alg}")`;
      }
      const n = str('n');
      const e = str('e');
      if (n === undefined) return '[n] field is missing for a RSA key';
      if (n === null) return '[n] field is not string for a RSA key';
      if (e === undefined) return '[e] field is missing for a RSA key';
      if (e === null) return '[e] field is not string for a RSA key';
      const nBytes = decodeBase64Url(n);
      const eBytes = decodeBase64Url(e);
      if (!nBytes || !eBytes || nBytes.length === 0) return 'Jwks RSA [n] or [e] field is missing or has a parse error';
      // jwt_verify_lib refuses any exponent other than 3 and 65537 (BN_cmp_word: leading zero bytes do not count).
      const firstNonZero = eBytes.findIndex((b) => b !== 0);
      const significant = firstNonZero < 0 ? eBytes.subarray(eBytes.length) : eBytes.subarray(firstNonZero);
      const exponent = significant.length === 0 ? 0 : significant.length <= 6 ? significant.readUIntBE(0, significant.length) : -1;
      if (exponent !== 3 && exponent !== 65537) {
        return 'Jwks RSA [n] or [e] field is missing or has a parse error (e must be 3 or 65537)';
      }
      return undefined;
    }
    case 'EC': {
      // ECDH-ES* (key agreement) keys do not start with "ES": Envoy refuses them.
      if (algSpecified && !alg.startsWith('ES')) return `[alg] is not started with [ES] for an EC key (alg is "${alg}")`;
      const crvField = str('crv');
      if (crvField === null) return '[crv] field is not string for an EC key';
      const crv = crvField ?? '';
      if (algSpecified && crv !== '' && EC_ALG_CRV.get(alg) !== crv) {
        return `[crv] field specified is not compatible with [alg] for an EC key (${crv} with ${alg})`;
      }
      // Neither alg nor crv: P-256. Otherwise alg ES256/384/512 or crv P-256/384/521 picks the curve.
      const curve = !algSpecified && crv === '' ? 'P-256' : (EC_ALG_CRV.get(alg) ?? (EC_CURVES.has(crv) ? crv : undefined));
      if (curve === undefined) return '[crv] or [alg] field is not supported for an EC key';
      const x = str('x');
      const y = str('y');
      if (x === undefined) return '[x] field is missing for an EC key';
      if (x === null) return '[x] field is not string for an EC key';
      if (y === undefined) return '[y] field is missing for an EC key';
      if (y === null) return '[y] field is not string for an EC key';
      const xBytes = decodeBase64Url(x);
      const yBytes = decodeBase64Url(y);
      if (!xBytes || !yBytes) return 'Jwks EC [x] or [y] field is an invalid Base64.';
      // EC_KEY_set_public_key_affine_coordinates: the point must lie on the curve.
      if (!pointOnCurve(curve, xBytes, yBytes)) return 'Jwks EC [x] and [y] fields have a parse error.';
      return undefined;
    }
    case 'oct': {
      if (algSpecified && !HMAC_ALGS.has(alg)) return `[alg] does not start with [HS] for an HMAC key (alg is "${alg}")`;
      const k = str('k');
      if (k === undefined) return '[k] field is missing for an HMAC key';
      if (k === null) return '[k] field is not string for an HMAC key';
      const bytes = decodeBase64Url(k);
      if (!bytes || bytes.length === 0) return 'Jwks Oct key is an invalid Base64';
      return undefined;
    }
    case 'OKP': {
      if (algSpecified && alg !== 'EdDSA') return `[alg] is not [EdDSA] for an OKP key (alg is "${alg}")`;
      const crv = str('crv');
      if (crv === undefined) return '[crv] field is missing for an OKP key';
      if (crv === null) return '[crv] field is not string for an OKP key';
      if (crv !== 'Ed25519') return `[crv] field is not supported for an OKP key (crv is "${crv}"; only Ed25519)`;
      const x = str('x');
      if (x === undefined) return '[x] field is missing for an OKP key';
      if (x === null) return '[x] field is not string for an OKP key';
      const bytes = decodeBase64Url(x);
      if (!bytes) return 'Jwks OKP [x] field is an invalid Base64.';
      if (bytes.length !== ED25519_PUBLIC_KEY_BYTES) return 'Jwks OKP [x] field is wrong length.';
      return undefined;
    }
    default:
      return `[kty] is not supported in [keys] (kty is "${kty}")`;
  }
}

/** Whether Envoy would load this JWK at all (it ignores `use`, and loads placeholders). */
export function envoyLoadsKey(key: unknown): boolean {
  return isObject(key) && envoyKeyProblem(key) === undefined;
}

/** The problem of a [keys] entry that is not an object: Envoy skips it, it does not fail the set. */
export const SKIPPED_ENTRY_PROBLEM = 'not a JSON object (Envoy skips it)';

/** Whether Envoy skips this entry silently (not a JSON object) rather than failing on it. */
export function envoySkipsEntry(k: JwkSummary): boolean {
  return !k.usable && k.problem === SKIPPED_ENTRY_PROBLEM;
}

export function summariseJwk(key: unknown): JwkSummary {
  if (!isObject(key)) return { usable: false, problem: SKIPPED_ENTRY_PROBLEM };
  const pick = (name: string): string | undefined => (typeof key[name] === 'string' ? (key[name] as string) : undefined);
  const summary: JwkSummary = { usable: true };
  const kid = pick('kid');
  const kty = pick('kty');
  const alg = pick('alg');
  const use = pick('use');
  const crv = pick('crv');
  if (kid !== undefined) summary.kid = kid;
  if (kty !== undefined) summary.kty = kty;
  if (alg !== undefined) summary.alg = alg;
  if (use !== undefined) summary.use = use;
  if (crv !== undefined) summary.crv = crv;

  const problem = envoyKeyProblem(key);
  const placeholder = kty === 'RSA' ? placeholderKind(pick('n') ?? '', kid) : undefined;
  if (placeholder !== undefined) {
    summary.placeholder = true;
    summary.usable = false;
    summary.problem = `Istio's placeholder key (${placeholder}): istiod could not fetch the real keys, so no token verifies`;
  } else if (problem !== undefined) {
    summary.usable = false;
    summary.problem = problem;
  }
  // A loadable `use: "enc"` key stays usable: Envoy loads it (it never reads `use`) and tries it like any
  // other key whose kid/alg match the token; `use` stays in the summary so describeKeys can show it.
  return summary;
}

// ---------------------------------------------------------------- the set

const X509_PREFIX = '-----BEGIN CERTIFICATE-----';

/** Google's legacy `{ "<kid>": "<PEM certificate>" }` format, which jwt_verify_lib also accepts. */
function fromX509Map(doc: Json): KeySetInfo | undefined {
  const entries = Object.entries(doc);
  if (entries.length === 0) return undefined;
  if (!entries.every(([k, v]) => k !== '' && typeof v === 'string' && v.trim().startsWith(X509_PREFIX))) return undefined;
  const keys: JwkSummary[] = [];
  const jwks: Record<string, unknown>[] = [];
  for (const [kid, pem] of entries) {
    try {
      const jwk = new X509Certificate(pem as string).publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
      jwks.push({ ...jwk, kid });
      keys.push({ ...summariseJwk({ ...jwk, kid }) });
    } catch {
      keys.push({ kid, kty: 'RSA', usable: false, problem: 'X509 parse pubkey fails' });
    }
  }
  return { keys, jwks: { keys: jwks } };
}

export function summariseJwks(text: string): JwksSummaryResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const start = text.trimStart().slice(0, 1);
    const hint = start === '<' ? ' (it is HTML: the URL serves a web page, not the key set)' : '';
    return { ok: false, message: `Jwks is an invalid JSON${hint}` };
  }
  if (!isObject(doc)) return { ok: false, message: 'Jwks is an invalid JSON (not a JSON object)' };
  if (!('keys' in doc)) {
    const x509 = fromX509Map(doc);
    if (x509) return { ok: true, value: x509 };
    const hint = 'jwks_uri' in doc ? ' (this is an OpenID discovery document: use its jwks_uri)' : '';
    return { ok: false, message: `Jwks does not have [keys] field${hint}` };
  }
  const list = doc['keys'];
  if (!Array.isArray(list)) return { ok: false, message: '[keys] in Jwks is not an array' };
  return {
    ok: true,
    value: {
      keys: list.map((k) => summariseJwk(k)),
      jwks: { keys: list.filter(isObject) },
    },
  };
}

/** kids that appear on more than one key (Envoy would use the first that verifies). */
export function duplicateKids(keys: readonly JwkSummary[]): string[] {
  const seen = new Map<string, number>();
  for (const k of keys) if (k.kid !== undefined) seen.set(k.kid, (seen.get(k.kid) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([kid]) => kid);
}

export function usableKeys(keys: readonly JwkSummary[]): JwkSummary[] {
  return keys.filter((k) => k.usable);
}

/** "2 keys: RS256 kid=abc123, ES256 kid=k2". */
export function describeKeys(keys: readonly JwkSummary[]): string {
  if (keys.length === 0) return 'no keys';
  const parts = keys.map((k) => {
    const kind = k.alg ?? (k.kty === 'EC' && k.crv ? `EC ${k.crv}` : (k.kty ?? 'unknown kty'));
    const id = k.kid !== undefined ? `kid=${k.kid}` : '(no kid)';
    const note = k.placeholder ? ' [Istio placeholder]' : !k.usable ? ' [unusable]' : k.use !== undefined && k.use !== 'sig' ? ` [use=${k.use}]` : '';
    return `${kind} ${id}${note}`;
  });
  return `${keys.length} key${keys.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}
