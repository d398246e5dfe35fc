/**
 * token.signature and token.audience decide as the proxy's JWT requirement does when several rules name the
 * token's issuer (src/istio/policies/jwt-requirement.ts): modern providers are OR-ed (requires_any), legacy
 * origins are not (1.0–1.2: first origin only; 1.3–1.5: one origin, arbitrary).
 */
import { describe, expect, it } from '@jest/globals';
import audience from '../../src/checks/token-audience.js';
import signature from '../../src/checks/token-signature.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { Evidence, JwtRule } from '../../src/model/index.js';
import { decideToken, requirementFor } from '../../src/istio/policies/jwt-requirement.js';
import { ISSUER, context, healthyEvidence, issuerEvidence, rule } from '../support/evidence.js';

const A = 'RequestAuthentication/foo/jwt-a#0';
const B = 'RequestAuthentication/foo/jwt-b#0';
const ra = (name: string): JwtRule['source'] => ({ kind: 'RequestAuthentication', apiVersion: 'security.istio.io/v1', namespace: 'foo', name });
const origin = (index: number): Partial<JwtRule> => ({
  api: 'legacy',
  key: `Policy/foo/httpbin-jwt#${index}`,
  index,
  source: { kind: 'Policy', apiVersion: 'authentication.istio.io/v1alpha1', namespace: 'foo', name: 'httpbin-jwt' },
});

/** Two providers for ISSUER: the first one's keys do NOT verify the token, the second one's do. */
function twoProviders(first: Partial<JwtRule>, second: Partial<JwtRule>, tag = '1.22.3'): Evidence {
  const e = healthyEvidence();
  const r1 = rule({ key: A, source: ra('jwt-a'), jwksUri: 'https://issuer.example/old-keys', ...first });
  const r2 = rule({ key: B, source: ra('jwt-b'), ...second });
  if (e.policies.ok) e.policies.value.jwtRules = [r1, r2];
  if (e.issuers.ok) e.issuers.value = { [r1.key]: issuerEvidence({ ruleKey: r1.key, keySetUrl: 'https://issuer.example/old-keys' }), [r2.key]: issuerEvidence({ ruleKey: r2.key }) };
  e.token.verification = {
    [r1.key]: { outcome: 'no-matching-key', message: 'no key with kid key-1' },
    [r2.key]: { outcome: 'verified', message: 'verified', kid: 'key-1' },
  };
  if (e.istio.ok) {
    const [major = 1, minor = 22, patch = 0] = tag.split('.').map(Number);
    e.istio.value = { ...e.istio.value, tag, version: { major, minor, patch } };
  }
  return e;
}

describe('the requirement model', () => {
  it('OR-s modern providers, keeps only the first legacy origin on 1.0–1.2, and one arbitrary origin on 1.3–1.5', () => {
    const r1 = rule({ ...origin(0) });
    const r2 = rule({ ...origin(1) });
    const accepts = (r: JwtRule): boolean => r === r2;
    expect(decideToken(requirementFor([rule({ key: A }), rule({ key: B })], { major: 1, minor: 22, patch: 3 }), (r) => r.key === B).verdict).toBe('accepted');
    const old = requirementFor([r2, r1], { major: 1, minor: 0, patch: 6 });
    expect(old).toMatchObject({ kind: 'first-origin', candidates: [r1], ignored: [r2] });
    expect(decideToken(old, accepts).verdict).toBe('refused');
    expect(decideToken(requirementFor([r1, r2], { major: 1, minor: 4, patch: 6 }), accepts).verdict).toBe('depends');
    expect(decideToken(requirementFor([r1, r2], { major: 1, minor: 4, patch: 6 }), () => true).verdict).toBe('accepted');
  });
});

describe('token.signature with several providers for one issuer', () => {
  it('passes when any modern provider verifies the token, naming the one that would refuse it', () => {
    const results = runCheck(signature, twoProviders({}, {}), context());
    expect(results.map((r) => r.status)).toEqual(['pass']);
    expect(results[0]?.subject).toBe(ISSUER);
    expect(results[0]?.detail).toContain('signature verified with key key-1');
    expect(results[0]?.detail).toContain('RequestAuthentication foo/jwt-a jwtRules[0] would refuse it');
    expect(results[0]?.detail).toContain('requires_any');
  });

  it('fails only when no provider verifies it, one result per provider with its reason', () => {
    const e = twoProviders({}, {});
    e.token.verification[B] = { outcome: 'signature-invalid', message: 'bad signature' };
    const results = runCheck(signature, e, context());
    expect(results.map((r) => r.status)).toEqual(['fail', 'fail']);
    expect(results[0]?.detail).toContain("Jwks doesn't have key to match kid or alg from Jwt");
    expect(results[1]?.detail).toContain('Jwt verification fails');
  });

  it('legacy origins on Istio 1.0: only the first origin counts, so the second verifying does not help', () => {
    const results = runCheck(signature, twoProviders(origin(0), origin(1), '1.0.6'), context());
    expect(results.map((r) => r.status)).toEqual(['fail', 'skip']);
    expect(results[0]?.detail).toContain('401 "Origin authentication failed."');
    expect(results[1]?.detail).toContain('Policy foo/httpbin-jwt origins[1] is never used for this issuer');
  });

  it('legacy origins on Istio 1.4: warns that the outcome depends on which origin Envoy picks', () => {
    const [r, ...rest] = runCheck(signature, twoProviders(origin(0), origin(1), '1.4.6'), context());
    expect(rest).toEqual([]);
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('ONE origin per issuer');
    expect(r?.detail).toContain('Policy foo/httpbin-jwt origins[1] accepts the token, Policy foo/httpbin-jwt origins[0] refuses it');
    expect(r?.fix).toContain('one origin per issuer');
  });
});

describe('token.audience with several providers for one issuer', () => {
  it('passes with the provider that accepts the token even if another lists other audiences', () => {
    const results = runCheck(audience, twoProviders({ audiences: ['other-api'] }, { audiences: ['httpbin'] }), context());
    expect(results.map((r) => r.status)).toEqual(['pass']);
    expect(results[0]?.detail).toContain('aud "httpbin" is allowed by RequestAuthentication foo/jwt-b jwtRules[0]');
  });

  it('fails per provider when none accepts the token', () => {
    const results = runCheck(audience, twoProviders({ audiences: ['other-api'] }, { audiences: ['billing'] }), context());
    expect(results.map((r) => r.status)).toEqual(['fail', 'fail']);
    expect(results[1]?.detail).toContain('"billing"');
  });
});

describe('token.signature wording for a key without kid', () => {
  it('says the key set\'s kid-less key verified it, not the token\'s kid', () => {
    const e = healthyEvidence();
    e.token.header = { alg: 'RS256', kid: 'k1' };
    e.token.verification['RequestAuthentication/foo/jwt-example#0'] = { outcome: 'verified', message: 'The signature verifies with RS256 (no kid).' };
    const [r] = runCheck(signature, e, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain("verified with the key set's key without a kid (Envoy tries it for any kid)");
    expect(r?.detail).not.toContain('k1');
  });
});

describe('policy.conflicts names the provider that loses', () => {
  it('warns that the rules are not merged, with the release\'s rule and which one the token verifies with', async () => {
    const { default: conflicts } = await import('../../src/checks/policy-conflicts.js');
    const [r] = runCheck(conflicts, twoProviders({}, {}), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('not merged: Envoy accepts the token once any provider for its issuer verifies it (requires_any)');
    expect(r?.detail).toContain('The given token verifies with RequestAuthentication foo/jwt-b jwtRules[0] but not with RequestAuthentication foo/jwt-a jwtRules[0]');
  });

  it('passes a single rule per issuer', async () => {
    const { default: conflicts } = await import('../../src/checks/policy-conflicts.js');
    const [r] = runCheck(conflicts, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
  });
});
