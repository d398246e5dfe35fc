import { generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { verifyToken } from '../../src/token/verify-token.js';
import { ecKey, forge, rsaKey, sign } from './keys.js';

describe('verifyToken: Envoy key selection', () => {
  it('verifies with the key whose kid matches, and names it', async () => {
    const k1 = await rsaKey('k1');
    const k2 = await rsaKey('k2');
    const token = await sign(k2);
    const result = await verifyToken(token, { keys: [k1.jwk, k2.jwk] });
    expect(result).toMatchObject({ outcome: 'verified', kid: 'k2' });
  });

  it('tries every key when the token has no kid', async () => {
    const k1 = await rsaKey('k1');
    const k2 = await rsaKey('k2');
    const token = await sign(k2, {}, { kid: null });
    expect(await verifyToken(token, { keys: [k1.jwk, k2.jwk] })).toMatchObject({ outcome: 'verified', kid: 'k2' });
  });

  it('also tries keys without a kid when the token has one', async () => {
    const k = await rsaKey();
    const token = await sign(k, {}, { kid: 'rotated-away' });
    expect((await verifyToken(token, { keys: [k.jwk] })).outcome).toBe('verified');
  });

  it('reports no-matching-key, with the kids the set has, when the kid is unknown (rotation)', async () => {
    const old = await rsaKey('2025-key');
    const current = await rsaKey('2026-key');
    const token = await sign(current);
    const result = await verifyToken(token, { keys: [old.jwk] });
    expect(result.outcome).toBe('no-matching-key');
    expect(result.message).toMatch(/^Jwks doesn't have key to match kid or alg from Jwt/);
    expect(result.message).toContain('"2026-key"');
    expect(result.message).toContain('2025-key');
  });

  it('skips a key whose alg differs from the token\'s, even with the same kid', async () => {
    const k = await rsaKey('k1');
    const token = await sign(k);
    const result = await verifyToken(token, { keys: [{ ...k.jwk, alg: 'RS512' }] });
    expect(result.outcome).toBe('no-matching-key');
    expect(result.message).toMatch(/A key with that kid exists but is for alg RS512/);
  });

  it('reports signature-invalid when a candidate exists but is the wrong key', async () => {
    const real = await rsaKey('k1');
    const impostor = await rsaKey('k1');
    const token = await sign(real);
    const result = await verifyToken(token, { keys: [impostor.jwk] });
    expect(result.outcome).toBe('signature-invalid');
    expect(result.message).toMatch(/^Jwt verification fails: 1 key\(s\) matched/);
  });

  it('explains a failure against Istio\'s placeholder key (no kid, so every token is tried against it)', async () => {
    const token = await sign(await rsaKey('k1'));
    const placeholder = { kty: 'RSA', e: 'AQAB', n: `0xObjM0UvS_oaazjpEYlAbwctEJ4L8pH3OuTb7qth7g${'A'.repeat(300)}` };
    const result = await verifyToken(token, { keys: [placeholder] });
    expect(result.outcome).toBe('signature-invalid');
    expect(result.message).toMatch(/Istio's placeholder key/);
  });

  it('reports no-keys for an empty set or a set Envoy cannot load', async () => {
    const token = await sign(await rsaKey('k1'));
    expect((await verifyToken(token, { keys: [] })).outcome).toBe('no-keys');
    const bad = await verifyToken(token, { keys: [{ kty: 'RSA', kid: 'k1' }] });
    expect(bad.outcome).toBe('no-keys');
    expect(bad.message).toMatch(/^Jwks doesn't have any valid public key.*\[n\] field is missing/);
  });

  it('reports unsupported-alg for algorithms Envoy lacks or the caller disallows', async () => {
    const k = await ecKey('e1');
    const token = await sign(k);
    expect((await verifyToken(token, { keys: [k.jwk] }, { algorithms: ['RS256'] })).outcome).toBe('unsupported-alg');
    const es256k = forge({ alg: 'ES256K', kid: 'e1' }, { sub: 'a' });
    expect((await verifyToken(es256k, { keys: [k.jwk] })).outcome).toBe('unsupported-alg');
  });
});

describe('verifyToken: algorithms', () => {
  it('verifies ES256, HS256 (oct key) and EdDSA', async () => {
    const ec = await ecKey('e1');
    expect((await verifyToken(await sign(ec), { keys: [ec.jwk] })).outcome).toBe('verified');

    const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
    const hs = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'HS256', kid: 'h1' }).sign(secret);
    const octKey = { kty: 'oct', kid: 'h1', alg: 'HS256', k: Buffer.from(secret).toString('base64url') };
    expect((await verifyToken(hs, { keys: [octKey] })).outcome).toBe('verified');
    expect((await verifyToken(hs, { keys: [{ ...octKey, k: Buffer.from('another secret').toString('base64url') }] })).outcome).toBe('signature-invalid');

    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const edToken = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'EdDSA' }).sign(ed.privateKey);
    const edJwk = await exportJWK(ed.publicKey);
    expect((await verifyToken(edToken, { keys: [edJwk as Record<string, unknown>] })).outcome).toBe('verified');
  });

  it('verifies an RS256 token from a 1024-bit key, which Envoy accepts and jose refuses', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'old' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'a' })).toString('base64url');
    const signature = nodeSign('sha256', Buffer.from(`${header}.${payload}`), privateKey).toString('base64url');
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'old' };
    expect((await verifyToken(`${header}.${payload}.${signature}`, { keys: [jwk] })).outcome).toBe('verified');
  });

  it('checks the signature only: an expired token from the right key still verifies', async () => {
    const k = await rsaKey('k1');
    const token = await sign(k, { exp: 1_000_000_000 });
    expect((await verifyToken(token, { keys: [k.jwk] })).outcome).toBe('verified');
  });
});

describe('verifyToken: robustness', () => {
  it('never throws and never echoes the token', async () => {
    const k = await rsaKey('k1');
    const token = await sign(k);
    const signature = token.split('.')[2] ?? '';
    const cases: [string, unknown][] = [
      ['garbage', { keys: [k.jwk] }],
      [token, { keys: null }],
      [token, null],
      [`${token}.x`, { keys: [k.jwk] }],
      [forge('nope', {}), { keys: [k.jwk] }],
      [token, { keys: [{ kty: 'RSA', n: 12, e: 'AQAB' }, 'str', null] }],
    ];
    for (const [input, jwks] of cases) {
      const result = await verifyToken(input, jwks as { keys: Record<string, unknown>[] });
      expect(['not-attempted', 'no-keys']).toContain(result.outcome);
      expect(result.message).not.toContain(signature);
    }
  });
});
