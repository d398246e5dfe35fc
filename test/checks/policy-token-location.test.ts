import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/policy-token-location.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ISSUER, ok, policySet, rule } from '../support/evidence.js';
import type { JwtRule } from '../../src/model/index.js';

function withRule(patch: Partial<JwtRule>) {
  const ev = healthyEvidence();
  ev.policies = ok(policySet({ jwtRules: [rule(patch)] }));
  return ev;
}

describe('policy.token-location', () => {
  it('passes with the defaults and lists them', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
    expect(r?.detail).toContain('Authorization: Bearer …');
    expect(r?.detail).toContain('?access_token');
  });

  it('warns that a custom header replaces Authorization: Bearer, naming it and how to send the token there', () => {
    const [r] = runCheck(check, withRule({ locations: [{ in: 'header', name: 'x-jwt', prefix: 'Bearer ' }, { in: 'param', name: 'token' }] }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('reads the token ONLY from x-jwt: Bearer …, ?token=…');
    expect(r?.detail).toContain('"Authorization: Bearer <jwt>" counts as sending no token');
    expect(r?.fix).toContain('Clients must send the token as x-jwt: Bearer <jwt>, ?token=<jwt>');
    expect(r?.fix).toContain('add {name: Authorization, prefix: "Bearer "} to fromHeaders');
  });

  it('passes custom locations that keep the standard Authorization: Bearer header', () => {
    const [r] = runCheck(check, withRule({ locations: [{ in: 'header', name: 'Authorization', prefix: 'Bearer ' }, { in: 'header', name: 'x-jwt', prefix: 'Bearer ' }] }), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('x-jwt: Bearer …');
  });

  it('warns on a lower-case bearer prefix', () => {
    const [r] = runCheck(check, withRule({ locations: [{ in: 'header', name: 'Authorization', prefix: 'bearer ' }] }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('case-sensitively');
    expect(r?.detail).toContain('no token');
    expect(r?.fix).toContain('prefix: "Bearer "');
  });

  it('warns on a prefix without its trailing space', () => {
    const [r] = runCheck(check, withRule({ locations: [{ in: 'header', name: 'Authorization', prefix: 'Bearer' }] }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('does not end with a space');
    expect(r?.fix).toContain('prefix: "Bearer "');
  });

  it('warns on Authorization without prefix', () => {
    const [r] = runCheck(check, withRule({ locations: [{ in: 'header', name: 'Authorization' }] }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('no prefix');
  });

  it('warns on an empty header name', () => {
    const [r] = runCheck(check, withRule({ locations: [{ in: 'header', name: '', prefix: 'Bearer ' }] }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('empty name');
  });

  it('warns that legacy jwt_headers replace the default and take the raw value', () => {
    const [r] = runCheck(
      check,
      withRule({ api: 'legacy', locations: [{ in: 'header', name: 'x-goog-iap-jwt-assertion' }] }),
      context(),
    );
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('raw header value');
    expect(r?.fix).toContain('x-goog-iap-jwt-assertion: <jwt>');
    expect(r?.fix).toContain('remove jwt_headers/jwt_params');
  });

  it('skips without applying rules', () => {
    const [r] = runCheck(check, withRule({ applies: false }), context());
    expect(r?.status).toBe('skip');
  });
});
