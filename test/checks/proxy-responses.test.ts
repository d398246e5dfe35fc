import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/proxy-responses.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { DenialGroup, Evidence } from '../../src/model/index.js';
import { context, healthyEvidence, ok, policySet, rule } from '../support/evidence.js';

const KEY = 'RequestAuthentication/foo/jwt-example#0';

function denial(overrides: Partial<DenialGroup>): DenialGroup {
  return {
    code: 401,
    reason: 'Jwt is expired',
    details: 'jwt_authn_access_denied{Jwt_is_expired}',
    source: 'jwt',
    count: 4,
    lastSeen: '2026-11-29T09:59:00Z',
    samples: ['[2026-11-29T09:59:00.000Z] "GET /headers HTTP/1.1" 401 - jwt_authn_access_denied{Jwt_is_expired} - "-" 0 14 0 - ...'],
    ...overrides,
  };
}

function withDenials(denials: DenialGroup[], tweak?: (e: Evidence) => void) {
  const e = healthyEvidence();
  if (e.proxyLogs.ok) {
    const count = denials.reduce((n, d) => n + d.count, 0);
    e.proxyLogs.value.access = { lines: 20, accessLines: 3 + count, byCode: { '200': 3 }, denials };
  }
  tweak?.(e);
  return runCheck(check, e, context());
}

describe('proxy.responses', () => {
  it('passes when no request was refused', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('3 requests, none refused');
  });

  it('skips without access-log lines, saying how to turn logging on', () => {
    const e = healthyEvidence();
    if (e.proxyLogs.ok) e.proxyLogs.value.access = { lines: 40, accessLines: 0, byCode: {}, denials: [] };
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('meshConfig.accessLogFile=/dev/stdout');
  });

  it('fails on jwt refusals with count, reason, last seen and a sample', () => {
    const [r] = withDenials([denial({})]);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('4× 401 Jwt is expired');
    expect(r?.detail).toContain('last 2026-11-29T09:59:00Z');
    expect(r?.detail).toContain('sample: [2026-11-29');
    expect(r?.detail).toContain('token.time');
  });

  it('reads evidence together: a verifying token + "Jwks doesn\'t have key" = stale or placeholder keys', () => {
    const [r] = withDenials([
      denial({ reason: "Jwks doesn't have key to match kid or alg from Jwt", details: "jwt_authn_access_denied{Jwks_doesn't_have_key_to_match_kid_or_alg_from_Jwt}" }),
    ]);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('stale or placeholder keys in the proxy (rotation, istiod fetch failure)');
    expect(r?.detail).toContain('not a bad token');
    expect(r?.fix).toMatch(/istiod.jwks-fetch/);
  });

  it('does not blame the keys when the given token does not verify', () => {
    const [r] = withDenials(
      [denial({ reason: 'Jwt verification fails', details: 'jwt_authn_access_denied{Jwt_verification_fails}' })],
      (e) => {
        e.token.verification[KEY] = { outcome: 'signature-invalid', message: 'bad signature' };
      },
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).not.toContain('stale or placeholder keys in the proxy');
    expect(r?.detail).toContain('Jwt verification fails');
  });

  it('warns on rbac [none] with the decision hints', () => {
    const [r] = withDenials([
      denial({ code: 403, reason: 'RBAC: access denied', details: 'rbac_access_denied_matched_policy[none]', source: 'rbac' }),
    ]);
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('no ALLOW rule matched');
    expect(r?.detail).toContain('token.authorization');
  });

  it('warns on via_upstream, pointing at forwardOriginalToken false', () => {
    const [r] = withDenials(
      [denial({ code: 401, reason: 'upstream 401', details: 'via_upstream', source: 'upstream' })],
      (e) => {
        e.policies = ok(policySet({ jwtRules: [rule({ forwardOriginalToken: false })] }));
      },
    );
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('the application itself answered 401');
    expect(r?.detail).toContain('forwardOriginalToken false');
    expect(r?.fix).toContain('forwardOriginalToken: true');
  });

  it('orders jwt failures before rbac warnings', () => {
    const results = withDenials([
      denial({ code: 403, reason: 'RBAC: access denied', details: 'rbac_access_denied_matched_policy[none]', source: 'rbac', count: 9 }),
      denial({ code: 403, reason: 'Audiences in Jwt are not allowed', details: 'jwt_authn_access_denied{Audiences_in_Jwt_are_not_allowed}' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fail', 'warn']);
    expect(results[0]?.detail).toContain('token.audience');
  });

  describe('custom token locations (fromHeaders/fromParams replace Authorization: Bearer)', () => {
    const rbacNone = denial({ code: 403, reason: 'RBAC: access denied', details: 'rbac_access_denied_matched_policy[none]', source: 'rbac', count: 6 });
    const custom = (e: Evidence): void => {
      if (e.policies.ok) e.policies.value = policySet({ jwtRules: [rule({ locations: [{ in: 'header', name: 'x-jwt-assertion', prefix: 'Bearer ' }] })] });
    };

    it('points tokenless 403s at policy.token-location, naming the location', () => {
      const [r] = withDenials([rbacNone], custom);
      expect(r?.status).toBe('warn');
      expect(r?.detail).toContain('clients that send "Authorization: Bearer" count as tokenless here');
      expect(r?.detail).toContain('reads it only from x-jwt-assertion: Bearer …');
      expect(r?.detail).toContain('policy.token-location');
      expect(r?.fix).toMatch(/^Send the token where the rule reads it/);
    });

    it('points 401 "Jwt is missing" at it too', () => {
      const [r] = withDenials([denial({ reason: 'Jwt is missing', details: 'jwt_authn_access_denied{Jwt_is_missing}' })], custom);
      expect(r?.detail).toContain('policy.token-location');
    });

    it('does not for refusals of a present token, nor with default locations', () => {
      const [expired] = withDenials([denial({})], custom);
      expect(expired?.detail).not.toContain('policy.token-location');
      const [none] = withDenials([rbacNone]);
      expect(none?.detail).not.toContain('policy.token-location');
    });
  });
});
