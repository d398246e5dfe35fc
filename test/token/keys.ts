/** Test keys and tokens made with jose: no fixtures with secrets, no network. */
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';

export const NOW = new Date('2026-11-29T10:00:00.000Z');
export const NOW_S = Math.floor(NOW.getTime() / 1000);
export const ISSUER = 'https://issuer.example';

export interface TestKey {
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function rsaKey(kid?: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk: { ...jwk, ...(kid ? { kid } : {}), alg, use: 'sig' } };
}

export async function ecKey(kid?: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk: { ...jwk, ...(kid ? { kid } : {}), alg: 'ES256' } };
}

export async function sign(
  key: TestKey,
  claims: JWTPayload = {},
  header: { alg?: string; kid?: string | null; typ?: string } = {},
): Promise<string> {
  const alg = header.alg ?? (key.jwk.alg as string);
  const kid = header.kid === null ? undefined : (header.kid ?? (key.jwk.kid as string | undefined));
  return new SignJWT({ iss: ISSUER, sub: 'alice', aud: 'httpbin', iat: NOW_S - 300, exp: NOW_S + 3600, ...claims })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}), typ: header.typ ?? 'JWT' })
    .sign(key.privateKey);
}

/** A compact token from literal JSON (for shapes jose refuses to sign). */
export function forge(header: unknown, payload: unknown, signature = 'c2lnbmF0dXJlLW5vdC1jaGVja2Vk'): string {
  const enc = (v: unknown): string => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  return `${enc(header)}.${enc(payload)}.${signature}`;
}
