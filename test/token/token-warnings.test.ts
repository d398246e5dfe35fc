import { claimWarnings } from '../../src/token/token-warnings.js';

/**
 * jwt_verify_lib reads exp/nbf/iat with StructUtils::GetUInt64: any JSON number in [0, 2^64) is accepted
 * (fractions are truncated); a non-number is "… is not an integer", a negative or huge number
 * "… is not a positive 64 bit integer".
 */
const base = { iss: 'https://issuer.example', sub: 'alice', aud: 'httpbin', iat: 1_700_000_000, exp: 1_700_003_600 };
const integerWarnings = (claims: Record<string, unknown>): string[] =>
  claimWarnings({ ...base, ...claims }).filter((w) => /Jwt payload \[(exp|nbf|iat)\]/.test(w));

describe('claimWarnings: exp/nbf/iat as Envoy reads them', () => {
  it.each([
    ['a fractional exp', { exp: 1_700_003_600.75 }],
    ['a fractional nbf', { nbf: 1_699_999_999.5 }],
    ['a fractional iat', { iat: 1_700_000_000.123 }],
    ['exp written as 1.7e9', { exp: 1.7e9 }],
    ['zero', { nbf: 0 }],
  ])('accepts %s', (_name, claims) => {
    expect(integerWarnings(claims)).toEqual([]);
  });

  it.each([
    ['exp as a string', { exp: '1700003600' }, 'Jwt payload [exp] field is not an integer'],
    ['iat as a boolean', { iat: true }, 'Jwt payload [iat] field is not an integer'],
    ['nbf as null', { nbf: null }, 'Jwt payload [nbf] field is not an integer'],
    ['a negative exp', { exp: -5 }, 'Jwt payload [exp] field is not a positive 64 bit integer'],
    ['a negative fractional nbf', { nbf: -0.5 }, 'Jwt payload [nbf] field is not a positive 64 bit integer'],
    ['an exp beyond 2^64', { exp: 2e19 }, 'Jwt payload [exp] field is not a positive 64 bit integer'],
  ])('refuses %s', (_name, claims, status) => {
    const found = integerWarnings(claims);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(`"${status}"`);
  });
});
