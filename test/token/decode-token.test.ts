import fc from 'fast-check';
import { decodeToken, MAX_TOKEN_BYTES, noTokenEvidence } from '../../src/token/decode-token.js';
import { tokenFingerprint } from '../../src/token/fingerprint.js';
import { forge, rsaKey, sign } from './keys.js';

const sigOf = (token: string): string => token.split('.')[2] ?? '';

describe('decodeToken: a good token', () => {
  it('returns header, claims and fingerprint, never the token or its signature', async () => {
    const token = await sign(await rsaKey('k1'), { sub: 'alice' });
    const ev = decodeToken(token);
    expect(ev.problem).toBeUndefined();
    expect(ev.provided).toBe(true);
    expect(ev.header).toMatchObject({ alg: 'RS256', kid: 'k1', typ: 'JWT' });
    expect(ev.claims).toMatchObject({ iss: 'https://issuer.example', sub: 'alice', aud: 'httpbin' });
    expect(ev.fingerprint).toBe(tokenFingerprint(token));
    expect(ev.fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(ev.verification).toEqual({});
    const text = JSON.stringify(ev);
    expect(text).not.toContain(token);
    expect(text).not.toContain(sigOf(token));
    expect(ev.warnings).toEqual([]);
  });

  it('strips a pasted "Bearer " (any case) or a whole Authorization header, with a warning, and keeps going', async () => {
    const token = await sign(await rsaKey('k1'));
    for (const pasted of [`Bearer ${token}`, `bearer   ${token}\n`, `Authorization: Bearer ${token}`, `"Authorization: Bearer ${token}"`]) {
      const ev = decodeToken(pasted);
      expect(ev.problem).toBeUndefined();
      expect(ev.claims?.['sub']).toBe('alice');
      expect(ev.fingerprint).toBe(tokenFingerprint(token));
      expect(ev.warnings.join(' ')).toMatch(/Bearer|Authorization/);
    }
  });

  it('joins a token wrapped over several lines', async () => {
    const token = await sign(await rsaKey('k1'));
    const ev = decodeToken(`${token.slice(0, 40)}\n${token.slice(40, 90)}\n${token.slice(90)}`);
    expect(ev.problem).toBeUndefined();
    expect(ev.fingerprint).toBe(tokenFingerprint(token));
    expect(ev.warnings.join(' ')).toMatch(/Line breaks/);
  });
});

describe('decodeToken: what is not a usable token', () => {
  it.each([
    ['', 'empty'],
    ['   \n ', 'empty'],
    ['Bearer ', 'empty'],
  ])('%j → %s', (input, code) => {
    expect(decodeToken(input).problem?.code).toBe(code);
  });

  it('refuses more than 64 KiB without parsing it', () => {
    const ev = decodeToken(`${'a'.repeat(MAX_TOKEN_BYTES)}.b.c`);
    expect(ev.problem?.code).toBe('too-large');
    expect(ev.header).toBeUndefined();
  });

  it('names a JWE and says Istio validates only JWS', () => {
    const jwe = `${Buffer.from('{"alg":"RSA-OAEP-256","enc":"A256GCM"}').toString('base64url')}.ZW5j.aXY.Y2lwaGVy.dGFn`;
    const ev = decodeToken(jwe);
    expect(ev.problem?.code).toBe('jwe');
    expect(ev.problem?.message).toMatch(/encrypted token \(JWE\).*only validates signed JWTs \(JWS\)/);
    expect(ev.problem?.message).toContain('A256GCM');
  });

  it('calls a dotless string an opaque access token, with Envoy\'s 401 text', () => {
    const ev = decodeToken('ya29.a0AfH6SMBx');
    expect(ev.problem?.code).toBe('not-three-parts');
    const opaque = decodeToken('2YotnFZFEjr1zCsicMWpAA');
    expect(opaque.problem?.message).toMatch(/opaque access token, not a JWT/);
    expect(opaque.problem?.message).toContain('Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections');
  });

  it('says a two-part token looks truncated, and counts parts otherwise', async () => {
    const token = await sign(await rsaKey('k1'));
    const truncated = token.slice(0, token.lastIndexOf('.'));
    expect(decodeToken(truncated).problem?.message).toMatch(/2 parts.*truncated/);
    expect(decodeToken(`${token}.extra`).problem?.message).toMatch(/4 parts \(3 dots\)/);
  });

  it('treats an empty signature as Envoy does (bad format) and an unsigned alg none token as alg-none', () => {
    const empty = forge({ alg: 'RS256' }, { iss: 'x' }, '');
    expect(decodeToken(empty).problem).toMatchObject({ code: 'not-three-parts' });
    expect(decodeToken(empty).problem?.message).toMatch(/signature part is empty/);
    const none = decodeToken(forge({ alg: 'none' }, { iss: 'x' }, ''));
    expect(none.problem?.code).toBe('alg-none');
    expect(none.claims).toEqual({ iss: 'x' });
  });

  it('says when standard base64 was used instead of base64url', () => {
    const std = `${Buffer.from('{"alg":"RS256","kid":"??>"}').toString('base64')}.eyJhIjoxfQ.c2ln`;
    expect(std).toMatch(/[+/]/);
    const ev = decodeToken(std);
    expect(ev.problem?.code).toBe('bad-base64');
    expect(ev.problem?.message).toMatch(/^Jwt header is an invalid Base64url encoded.*standard base64/);
  });

  it('accepts correct "=" padding (absl tolerates it) but warns', () => {
    const header = `${Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url')}`;
    const padded = `${header}${'='.repeat((4 - (header.length % 4)) % 4)}.eyJzdWIiOiJhIn0.c2ln`;
    const ev = decodeToken(padded);
    expect(ev.problem).toBeUndefined();
    expect(ev.warnings.join(' ')).toMatch(/padding/);
  });

  it.each([
    ['header not JSON', forge('not json', { a: 1 }), 'bad-json', /^Jwt header is an invalid JSON/],
    ['header a JSON array', forge([1, 2], { a: 1 }), 'bad-json', /not a JSON object/],
    ['payload not JSON', forge({ alg: 'RS256' }, '{"a":'), 'bad-json', /^Jwt payload is an invalid JSON/],
    ['alg missing', forge({ typ: 'JWT' }, { a: 1 }), 'alg-missing', /Jwt header \[alg\] field is required and must be a string/],
    ['alg a number', forge({ alg: 256 }, { a: 1 }), 'alg-missing', /\[alg\]/],
    ['alg none with a signature', forge({ alg: 'none' }, { a: 1 }), 'alg-none', /Jwt header \[alg\] is not supported/],
    ['bad signature base64', forge({ alg: 'RS256' }, { a: 1 }, 'sig*nature'), 'bad-base64', /^Jwt signature is an invalid Base64url/],
  ])('%s', (_name, token, code, message) => {
    const ev = decodeToken(token);
    expect(ev.problem?.code).toBe(code);
    expect(ev.problem?.message).toMatch(message);
  });

  it('never echoes the token in a problem or a warning', () => {
    const secretSig = 'U0VDUkVULVNJR05BVFVSRS1ET05PVFNIT1c';
    for (const token of [
      forge('x', 'y', secretSig),
      forge({ alg: 'none' }, { a: 1 }, secretSig),
      `${forge({ alg: 'RS256' }, { a: 1 }, secretSig)}.more`,
      `Bearer ${forge({ alg: 'HS256' }, { exp: '1' }, secretSig)}`,
    ]) {
      expect(JSON.stringify(decodeToken(token))).not.toContain(secretSig);
    }
  });

  it('gives the no-token evidence when nothing was provided', () => {
    expect(noTokenEvidence()).toEqual({ provided: false, warnings: [], verification: {} });
  });
});

describe('decodeToken: properties', () => {
  it('never throws, on any string, unicode, or 100 KB input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'grapheme' }),
          fc.string({ unit: 'binary' }),
          // ~100 KB inputs, built by repetition (generating them char by char is slow).
          fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }), fc.integer({ min: 5_000, max: 100_000 })).map(([s, n]) => s.repeat(n).slice(0, 100_000)),
          fc.tuple(fc.string({ minLength: 1, maxLength: 5 })).map(([s]) => `${s.repeat(16_000)}.${s.repeat(8_000)}.${s}`),
        ),
        (input) => {
          const ev = decodeToken(input);
          expect(typeof ev.provided).toBe('boolean');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never returns the third segment of a three-or-more-part input', () => {
    const segment = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), minLength: 24, maxLength: 80 });
    const jsonPart = fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url'));
    const headerPart = fc.oneof(
      jsonPart,
      fc.record({ alg: fc.constantFrom('RS256', 'none', 'HS256', 'ES256'), kid: fc.string() }).map((h) => Buffer.from(JSON.stringify(h)).toString('base64url')),
      fc.string(),
    );
    fc.assert(
      fc.property(headerPart, fc.oneof(jsonPart, fc.string()), segment, fc.array(fc.string(), { maxLength: 3 }), fc.constantFrom('', 'Bearer ', 'Authorization: Bearer '), (h, p, sig, more, prefix) => {
        const input = `${prefix}${[h, p, sig, ...more].join('.')}`;
        expect(JSON.stringify(decodeToken(input))).not.toContain(sig);
      }),
      { numRuns: 500 },
    );
  });
});
