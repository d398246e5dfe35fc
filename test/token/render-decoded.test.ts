import { decodeToken } from '../../src/token/decode-token.js';
import { inspectToken } from '../../src/token/inspect-token.js';
import { decodedAsJson, renderDecodedText } from '../../src/token/render-decoded.js';
import { NOW, NOW_S, rsaKey, sign } from './keys.js';

describe('jwtcheck decode output', () => {
  it('shows header, claims, times and warnings but never the token or signature', async () => {
    const token = await sign(await rsaKey('k1'), { exp: NOW_S - 600, iss: 'https://issuer.example/' });
    const ev = decodeToken(token);
    const inspection = inspectToken(ev, NOW);
    const text = renderDecodedText(inspection, ev.fingerprint);
    expect(text).toContain(`Token fingerprint: ${ev.fingerprint}`);
    expect(text).toMatch(/Header:\n {2}\{\n {4}"alg": "RS256"/);
    expect(text).toContain('"iss": "https://issuer.example/"');
    expect(text).toMatch(/exp {2}\S+ {2}expired 10 min ago/);
    expect(text).toMatch(/Warnings:\n {2}- /);
    expect(text).toContain('Jwt is expired');
    const signature = token.split('.')[2] ?? '';
    expect(text).not.toContain(signature);
    expect(text).not.toContain(token.split('.')[0] ?? '');

    const json = decodedAsJson(inspection, ev.fingerprint);
    expect(json).toMatchObject({ fingerprint: ev.fingerprint, header: { alg: 'RS256', kid: 'k1' }, claims: { sub: 'alice' } });
    expect(json.times.map((t) => t.name)).toEqual(['exp', 'iat']);
    expect(JSON.stringify(json)).not.toContain(signature);
  });

  it('states the format problem of a malformed token', () => {
    const ev = decodeToken('opaque-access-token-123');
    const text = renderDecodedText(inspectToken(ev, NOW), ev.fingerprint, ev.problem);
    expect(text).toMatch(/Not a usable token: This is an opaque access token/);
    expect(decodedAsJson(inspectToken(ev, NOW), ev.fingerprint, ev.problem).problem?.code).toBe('not-three-parts');
  });
});
