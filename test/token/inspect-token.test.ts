import { decodeToken } from '../../src/token/decode-token.js';
import { inspectToken } from '../../src/token/inspect-token.js';
import { forge, NOW, NOW_S, rsaKey, sign } from './keys.js';

const H = 3600;
const inspect = (token: string) => inspectToken(decodeToken(token), NOW);
const warningsOf = (token: string) => inspect(token).warnings.join('\n');

describe('inspectToken: times in words', () => {
  it('says how long ago a token expired and when it was issued', async () => {
    const token = await sign(await rsaKey('k1'), { exp: NOW_S - (3 * H + 12 * 60), iat: NOW_S - (4 * H + 12 * 60) });
    const { times, warnings } = inspect(token);
    expect(times).toEqual([
      { name: 'exp', at: new Date((NOW_S - 3 * H - 720) * 1000).toISOString(), inWords: 'expired 3 h 12 min ago' },
      { name: 'iat', at: new Date((NOW_S - 4 * H - 720) * 1000).toISOString(), inWords: 'issued 4 h 12 min ago' },
    ]);
    expect(warnings.join('\n')).toMatch(/^Jwt is expired: it expired 3 h 12 min ago/m);
  });

  it('says when a valid token expires and gives no time warning', async () => {
    const token = await sign(await rsaKey('k1'), { exp: NOW_S + 42 * 60, iat: NOW_S - 5 * 60 });
    const { times, warnings } = inspect(token);
    expect(times.find((t) => t.name === 'exp')?.inWords).toBe('expires in 42 min');
    expect(times.find((t) => t.name === 'iat')?.inWords).toBe('issued 5 min ago');
    expect(warnings).toEqual([]);
  });

  it('applies Envoy\'s 60 s skew: 30 s past exp is still accepted, with a note', async () => {
    const token = await sign(await rsaKey('k1'), { exp: NOW_S - 30 });
    const w = warningsOf(token);
    expect(w).not.toMatch(/^Jwt is expired/m);
    expect(w).toMatch(/inside Envoy's 60 s clock skew/);
  });

  it('flags a token that is not yet valid beyond the skew', async () => {
    const token = await sign(await rsaKey('k1'), { nbf: NOW_S + 600 });
    expect(warningsOf(token)).toMatch(/Jwt not yet valid: nbf is 10 min in the future/);
    expect(inspect(token).times.find((t) => t.name === 'nbf')?.inWords).toBe('not valid for another 10 min');
  });

  it('survives absurd times without throwing', () => {
    const { times } = inspect(forge({ alg: 'RS256', kid: 'k' }, { exp: 1e300, iat: -1e20, nbf: 12 }));
    expect(times.map((t) => t.name)).toEqual(['nbf']);
  });
});

describe('inspectToken: warnings that explain Istio failures', () => {
  it.each([
    ['HS256 shared secret', { alg: 'HS256', kid: 'k' }, {}, /shared secret.*"oct" key in an inline jwks|inline jwks as an "oct" key/],
    ['no kid', { alg: 'RS256' }, {}, /no kid: Envoy then tries every key/],
    ['no exp', { alg: 'RS256', kid: 'k' }, { exp: undefined }, /no exp: Envoy accepts tokens without an expiry/],
    ['lifetime over 24 h', { alg: 'RS256', kid: 'k' }, { iat: NOW_S, exp: NOW_S + 30 * 24 * H }, /lives 30 d .*longer than 24 h/],
    ['iss missing', { alg: 'RS256', kid: 'k' }, { iss: undefined }, /no iss claim.*Jwt issuer is not configured/],
    ['sub missing', { alg: 'RS256', kid: 'k' }, { sub: undefined }, /no sub claim: AuthorizationPolicy requestPrincipals .*istio\/istio#59541/],
    ['aud missing', { alg: 'RS256', kid: 'k' }, { aud: undefined }, /no aud claim.*403 "Audiences in Jwt are not allowed"/],
    ['iss trailing slash', { alg: 'RS256', kid: 'k' }, { iss: 'https://issuer.example/' }, /iss ends with "\/"/],
    ['typ not JWT', { alg: 'RS256', kid: 'k', typ: 'logout+jwt' }, {}, /typ is "logout\+jwt", not JWT or at\+jwt/],
    ['exp as a string', { alg: 'RS256', kid: 'k' }, { exp: String(NOW_S + 60) }, /"Jwt payload \[exp\] field is not an integer"/],
    ['aud a number', { alg: 'RS256', kid: 'k' }, { aud: 42 }, /"Jwt payload \[aud\] field is not a string or string list"/],
    ['kid a number', { alg: 'RS256', kid: 7 }, {}, /"Jwt header \[kid\] field is not a string"/],
    ['alg Envoy lacks', { alg: 'ES256K', kid: 'k' }, {}, /"Jwt header \[alg\] is not supported"/],
    ['alg none', { alg: 'none', kid: 'k' }, {}, /alg is "none"/],
  ])('%s', (_name, header, overrides, expected) => {
    const claims: Record<string, unknown> = { iss: 'https://issuer.example', sub: 'alice', aud: 'httpbin', iat: NOW_S - 60, exp: NOW_S + H, ...overrides };
    for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
    expect(warningsOf(forge(header, claims))).toMatch(expected);
  });

  it('keeps the "Bearer pasted" warning from decoding', async () => {
    const token = await sign(await rsaKey('k1'));
    expect(warningsOf(`Bearer ${token}`)).toMatch(/Bearer/);
  });

  it('has nothing to say about a well-formed, current token', async () => {
    expect(inspect(await sign(await rsaKey('k1'))).warnings).toEqual([]);
  });
});
