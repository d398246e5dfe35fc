import { exportJWK, generateKeyPair } from 'jose';
import { describeKeys, duplicateKids, placeholderMarkersIn, summariseJwks } from '../../src/istio/jwks-summary.js';

async function rsaJwk(kid: string): Promise<Record<string, unknown>> {
  const { publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
}
async function ecJwk(kid: string): Promise<Record<string, unknown>> {
  const { publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: 'ES256' };
}

function summarise(doc: unknown) {
  const result = summariseJwks(JSON.stringify(doc));
  if (!result.ok) throw new Error(`expected ok, got: ${result.message}`);
  return result.value;
}

describe('summariseJwks: the set', () => {
  it('reports invalid JSON with Envoy\'s status and spots an HTML page', () => {
    expect(summariseJwks('{"keys": [')).toEqual({ ok: false, message: 'Jwks is an invalid JSON' });
    const html = summariseJwks('<!doctype html><html><body>Login</body></html>');
    expect(html.ok).toBe(false);
    expect(!html.ok && html.message).toMatch(/^Jwks is an invalid JSON .*HTML/);
  });

  it('reports a missing or non-array keys field, and recognises a discovery document', () => {
    expect(summariseJwks('{"foo":1}')).toEqual({ ok: false, message: 'Jwks does not have [keys] field' });
    expect(summariseJwks('{"keys":{}}')).toEqual({ ok: false, message: '[keys] in Jwks is not an array' });
    const discovery = summariseJwks('{"issuer":"https://i.example","jwks_uri":"https://i.example/keys"}');
    expect(!discovery.ok && discovery.message).toContain('discovery document');
  });

  it('keeps the parsed keys for verification and summarises usable ones', async () => {
    const doc = { keys: [await rsaJwk('abc123'), await ecJwk('k2')] };
    const value = summarise(doc);
    expect(value.jwks.keys).toHaveLength(2);
    expect(value.keys.map((k) => [k.kid, k.kty, k.alg, k.usable])).toEqual([
      ['abc123', 'RSA', 'RS256', true],
      ['k2', 'EC', 'ES256', true],
    ]);
    expect(describeKeys(value.keys)).toBe('2 keys: RS256 kid=abc123, ES256 kid=k2');
  });

  it('exposes duplicate kids', async () => {
    const value = summarise({ keys: [await rsaJwk('dup'), await rsaJwk('dup'), await rsaJwk('other')] });
    expect(duplicateKids(value.keys)).toEqual(['dup']);
  });
});

describe('summariseJwks: each key by Envoy\'s rules', () => {
  const one = (key: unknown) => {
    const [summary] = summarise({ keys: [key] }).keys;
    if (!summary) throw new Error('no key');
    return summary;
  };

  it.each([
    [{ n: 'AQAB', e: 'AQAB' }, '[kty] is missing in [keys]'],
    [{ kty: 7 }, '[kty] is bad in [keys]'],
    [{ kty: 'RSA', e: 'AQAB' }, '[n] field is missing for a RSA key'],
    [{ kty: 'RSA', n: 'sXch', e: 'AQAB', alg: 'ES256' }, '[alg] is not started with [RS] or [PS] for an RSA key'],
    [{ kty: 'RSA', n: 'sX+h/', e: 'AQAB' }, 'Jwks RSA [n] or [e] field is missing or has a parse error'],
    [{ kty: 'RSA', n: 'sXchDH4g', e: 'Aw==x' }, 'Jwks RSA [n] or [e] field is missing or has a parse error'],
    [{ kty: 'EC', alg: 'ES256', crv: 'P-384', x: 'AA', y: 'AA' }, '[crv] field specified is not compatible with [alg] for an EC key'],
    [{ kty: 'EC', crv: 'secp256k1', x: 'AA', y: 'AA' }, '[crv] or [alg] field is not supported for an EC key'],
    [{ kty: 'EC', crv: 'P-256', x: 'AA' }, '[y] field is missing for an EC key'],
    [{ kty: 'oct', alg: 'RS256', k: 'c2VjcmV0' }, '[alg] does not start with [HS] for an HMAC key'],
    [{ kty: 'oct', alg: 'HS256' }, '[k] field is missing for an HMAC key'],
    [{ kty: 'OKP', crv: 'X25519', x: 'AA' }, '[crv] field is not supported for an OKP key'],
    [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }, 'Jwks OKP [x] field is wrong length.'],
    [{ kty: 'oct-pem', k: 'x' }, '[kty] is not supported in [keys]'],
  ])('%j → %s', (key, status) => {
    const summary = one(key);
    expect(summary.usable).toBe(false);
    expect(summary.problem?.startsWith(status)).toBe(true);
  });

  it('accepts an RSA key with exponent 3 and refuses exponent 17 (jwt_verify_lib allows only 3 and 65537)', () => {
    expect(one({ kty: 'RSA', n: 'sXchDH4g', e: 'Aw' }).usable).toBe(true);
    expect(one({ kty: 'RSA', n: 'sXchDH4g', e: 'EQ' }).usable).toBe(false);
  });

  it('keeps an RSA encryption key usable for Envoy: it never reads `use`, and "RSA-OAEP" starts with "RS"', async () => {
    const key = { ...(await rsaJwk('enc-1')), use: 'enc', alg: 'RSA-OAEP' };
    const summary = one(key);
    expect(summary.usable).toBe(true);
    expect(summary.problem).toBeUndefined();
    expect(summary.use).toBe('enc');
  });

  it('reads the default Keycloak key set (RS256 sig key + RSA-OAEP enc key) as two loadable keys, showing use', async () => {
    const value = summarise({ keys: [await rsaJwk('sig-1'), { ...(await rsaJwk('enc-1')), use: 'enc', alg: 'RSA-OAEP' }] });
    expect(value.keys.map((k) => k.usable)).toEqual([true, true]);
    expect(describeKeys(value.keys)).toBe('2 keys: RS256 kid=sig-1, RSA-OAEP kid=enc-1 [use=enc]');
  });

  it.each(['ECDH-ES', 'ECDH-ES+A256KW'])('refuses an EC key with alg %s ("[alg] is not started with [ES]")', async (alg) => {
    const summary = one({ ...(await ecJwk('ecdh')), alg, use: 'enc' });
    expect(summary.usable).toBe(false);
    expect(summary.problem).toMatch(/^\[alg\] is not started with \[ES\] for an EC key/);
  });

  it('checks an alg that is an empty string, and ignores one that is not a string (jwt_verify_lib GetString)', async () => {
    const rsa = await rsaJwk('x');
    expect(one({ ...rsa, alg: '' }).problem).toMatch(/^\[alg\] is not started with \[RS\] or \[PS\]/);
    expect(one({ ...rsa, alg: 256 }).usable).toBe(true);
    expect(one({ ...(await ecJwk('e')), alg: '' }).problem).toMatch(/^\[alg\] is not started with \[ES\]/);
  });

  it('reads an exponent with leading zero bytes as its value (BN_cmp_word)', () => {
    expect(one({ kty: 'RSA', n: 'sXchDH4g', e: 'AAEAAQ' }).usable).toBe(true);
  });

  it('refuses an EC point that is not on the curve ("Jwks EC [x] and [y] fields have a parse error.")', async () => {
    const ec = await ecJwk('e');
    expect(one({ ...ec, y: ec['x'] }).problem).toBe('Jwks EC [x] and [y] fields have a parse error.');
    expect(one({ ...ec, crv: undefined, alg: undefined }).usable).toBe(true);
  });

  it('skips non-object entries instead of failing the set', async () => {
    const value = summarise({ keys: ['junk', await rsaJwk('good')] });
    expect(value.keys.map((k) => k.usable)).toEqual([false, true]);
    expect(value.jwks.keys).toHaveLength(1);
  });
});

describe('Istio placeholder keys', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');

  it.each([
    ['1.15–1.20 (kid abc, base64url of Error-IstiodFailedToFetchJwksUri-<uri>)', { kid: 'abc', kty: 'RSA', e: 'AQAB', n: b64('Error-IstiodFailedToFetchJwksUri-https://idp.example/keys') }],
    ['1.8–1.14 (plain text marker)', { kid: 'abc', kty: 'RSA', e: 'AQAB', n: 'Error-IstiodFailedToFetchJwksUri-aHR0cHM6Ly9pZHA=' }],
    ['1.21–1.28.4 FakeJwks', { kty: 'RSA', e: 'AQAB', n: 'vqS7RN4b34i3_5YyhygtBe33gI6GK_0ldW8WRS9hlvLtaIqVqLGfaBPjgbfo' }],
    ['1.28.5+ public-only', { kty: 'RSA', e: 'AQAB', n: '0xObjM0UvS_oaazjpEYlAbwctEJ4L8pH3OuTb7qth7gAAAA' }],
  ])('flags %s', (_name, key) => {
    const [summary] = summarise({ keys: [key] }).keys;
    expect(summary?.placeholder).toBe(true);
    expect(summary?.usable).toBe(false);
    expect(summary?.problem).toMatch(/placeholder/);
    expect(describeKeys(summarise({ keys: [key] }).keys)).toContain('[Istio placeholder]');
  });

  it('does not flag a real key whose kid happens to be abc', async () => {
    const [summary] = summarise({ keys: [await rsaJwk('abc')] }).keys;
    expect(summary?.placeholder).toBeUndefined();
    expect(summary?.usable).toBe(true);
  });

  it('finds markers in free text', () => {
    expect(placeholderMarkersIn('inline_string: "{\\"n\\":\\"0xObjM0UvS_oaazjpEYlAbwctEJ4L8pH3OuTb7qth7gZZ\\"}"')).toHaveLength(1);
    expect(placeholderMarkersIn('nothing here')).toEqual([]);
  });
});
