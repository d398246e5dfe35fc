import { describe, expect, it } from '@jest/globals';
import {
  claimPath,
  explainPrincipalMiss,
  judgeCondition,
  judgeRule,
  matchString,
  parseRequestPrincipal,
  principalMatches,
} from '../../src/checks/lib/authz-match.js';

const claims = { iss: 'https://issuer.example', sub: 'user-1', aud: ['httpbin', 'account'], azp: 'web', scope: 'openid read:items', groups: ['dev', 'ops'], realm_access: { roles: ['admin'] } };

describe('requestPrincipals (Istio 1.21+: split at the last "/")', () => {
  it.each([
    ['*', true],
    ['https://issuer.example/*', true],
    ['https://issuer.example/user-1', true],
    ['https://issuer.example/user-*', true],
    ['*/user-1', true],
    ['*example/user-1', true],
    ['*user-1', true],
    ['https://issuer.*', false],
    ['https://issuer.example/user-2', false],
    ['https://issuer.example//*', false],
    ['https://issuer.example', false],
    ['*/*', false],
  ])('%s → %s', (value, expected) => {
    expect(principalMatches(value, claims)).toBe(expected);
  });

  it('parses the sides as generator.go does', () => {
    expect(parseRequestPrincipal('https://iss.example//*')).toEqual({ iss: { kind: 'exact', value: 'https://iss.example/' }, sub: { kind: 'any' } });
    expect(parseRequestPrincipal('*/*')).toEqual({ iss: { kind: 'any' }, sub: { kind: 'exact', value: '*' } });
  });

  it('never matches a token without sub, even with "*" (istio#59541)', () => {
    expect(principalMatches('*', { iss: 'https://issuer.example' })).toBe(false);
    expect(explainPrincipalMiss('*', { iss: 'https://issuer.example' })).toMatch(/no sub.*istio#59541/);
  });

  it('explains a trailing-slash issuer precisely (istio#51901)', () => {
    const why = explainPrincipalMiss('https://issuer.example/*', { iss: 'https://issuer.example/', sub: 'user-1' });
    expect(why).toContain('wants iss exactly "https://issuer.example"');
    expect(why).toContain('the token has iss "https://issuer.example/"');
    expect(why).toContain('"https://issuer.example//*"');
    expect(principalMatches('https://issuer.example//*', { iss: 'https://issuer.example/', sub: 'user-1' })).toBe(true);
  });

  it('explains a sub containing "/" (istio#52217)', () => {
    const c = { iss: 'https://issuer.example', sub: 'system/user-1' };
    expect(principalMatches('https://issuer.example/system/user-1', c)).toBe(false);
    expect(explainPrincipalMiss('https://issuer.example/system/user-1', c)).toMatch(/sub contains "\/".*istio#52217/);
  });
});

describe('conditions', () => {
  const facts = { claims };
  it('matches string wildcards like Istio', () => {
    expect(matchString('*', '')).toBe(false);
    expect(matchString('read:*', 'read:items')).toBe(true);
    expect(matchString('*:items', 'read:items')).toBe(true);
  });

  it('reads nested claims, arrays and space-delimited scope', () => {
    expect(claimPath('request.auth.claims[realm_access][roles]')).toEqual(['realm_access', 'roles']);
    expect(judgeCondition({ key: 'request.auth.claims[realm_access][roles]', values: ['admin'] }, facts).verdict).toBe('match');
    expect(judgeCondition({ key: 'request.auth.claims[groups]', values: ['ops'] }, facts).verdict).toBe('match');
    expect(judgeCondition({ key: 'request.auth.claims[scope]', values: ['read:items'] }, facts).verdict).toBe('match');
    expect(judgeCondition({ key: 'request.auth.claims[groups]', notValues: ['dev'] }, facts).verdict).toBe('no-match');
  });

  it('suggests brackets for a dotted claim name and no quotes', () => {
    const dotted = judgeCondition({ key: 'request.auth.claims[realm_access.roles]', values: ['admin'] }, facts);
    expect(dotted.verdict).toBe('no-match');
    expect(dotted.misses.join()).toContain('request.auth.claims[realm_access][roles]');
    const quoted = judgeCondition({ key: 'request.auth.claims["groups"]', values: ['dev'] }, facts);
    expect(quoted.misses.join()).toMatch(/remove the quotes/);
  });

  it('matches audiences and presenter', () => {
    expect(judgeCondition({ key: 'request.auth.audiences', values: ['account'] }, facts).verdict).toBe('match');
    expect(judgeCondition({ key: 'request.auth.presenter', values: ['cli'] }, facts).verdict).toBe('no-match');
  });

  it('leaves non-token keys and operations undecided, with words', () => {
    const j = judgeRule({ from: [{ source: { requestPrincipals: ['*'] } }], to: [{ operation: { methods: ['GET'], paths: ['/headers'] } }] }, facts);
    expect(j.verdict).toBe('unknown');
    expect(j.unknowns.join()).toContain('on GET /headers');
    expect(judgeCondition({ key: 'source.ip', values: ['10.0.0.0/8'] }, facts).verdict).toBe('unknown');
  });

  it('an empty rule matches everything; a failing part wins over an unknown one', () => {
    expect(judgeRule({}, facts).verdict).toBe('match');
    const j = judgeRule({ from: [{ source: { requestPrincipals: ['https://other/*'] } }], to: [{ operation: { paths: ['/x'] } }] }, facts);
    expect(j.verdict).toBe('no-match');
  });
});

describe('1.21+ split pitfalls', () => {
  it('a trailing "*" after a partial issuer no longer works as an issuer prefix', () => {
    const c = { iss: 'https://issuer.example', sub: 'user-1' };
    expect(principalMatches('https://issuer.*', c)).toBe(false);
    expect(explainPrincipalMiss('https://issuer.*', c)).toContain('write "https://issuer.example/*"');
  });
});
