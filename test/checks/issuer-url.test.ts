import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/issuer-url.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, policySet, rule } from '../support/evidence.js';
import type { JwtRule } from '../../src/model/index.js';

function withRule(patch: Partial<JwtRule>) {
  const ev = healthyEvidence();
  ev.policies = ok(policySet({ jwtRules: [rule(patch)] }));
  return ev;
}

describe('issuer.url', () => {
  it('skips when jwksUri is set', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('only compared with');
  });

  it('passes for an https issuer without jwksUri', () => {
    const [r] = runCheck(check, withRule({ jwksUri: undefined }), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('https://issuer.example/.well-known/openid-configuration');
  });

  it('warns for an http issuer', () => {
    const [r] = runCheck(check, withRule({ issuer: 'http://issuer.example', jwksUri: undefined }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('plain http');
  });

  it('fails for a Google service-account e-mail and gives its JWKS URL', () => {
    const email = 'jwt-signer@my-project.iam.gserviceaccount.com';
    const [r] = runCheck(check, withRule({ issuer: email, jwksUri: undefined }), context());
    expect(r?.status).toBe('fail');
    expect(r?.subject).toBe(email);
    expect(r?.detail).toContain('e-mail');
    expect(r?.fix).toContain(`https://www.googleapis.com/service_accounts/v1/jwk/${email}`);
  });

  it('fails for testing@secure.istio.io without jwksUri', () => {
    const [r] = runCheck(check, withRule({ issuer: 'testing@secure.istio.io', jwksUri: undefined }), context());
    expect(r?.status).toBe('fail');
    expect(r?.fix).toContain('jwksUri');
  });

  it('fails for a bare name and for a URL with a query', () => {
    const [a] = runCheck(check, withRule({ issuer: 'my-idp', jwksUri: undefined }), context());
    expect(a?.status).toBe('fail');
    const [b] = runCheck(check, withRule({ issuer: 'https://idp.example/?tenant=1', jwksUri: undefined }), context());
    expect(b?.status).toBe('fail');
    expect(b?.detail).toContain('query');
  });

  it('passes with a note when only jwksUri is set (1.27+)', () => {
    const [r] = runCheck(check, withRule({ issuer: undefined }), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('1.27');
  });

  it('fails when neither issuer nor keys are set', () => {
    const [r] = runCheck(check, withRule({ issuer: undefined, jwksUri: undefined }), context());
    expect(r?.status).toBe('fail');
  });
});
