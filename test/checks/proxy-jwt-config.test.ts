import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/proxy-jwt-config.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { Evidence, ProxyJwtConfigSigns } from '../../src/model/index.js';
import { ISSUER, JWKS_URI, context, healthyEvidence, issuerEvidence, rule } from '../support/evidence.js';

function withSigns(signs: Partial<ProxyJwtConfigSigns>, tweak?: (e: Evidence) => void) {
  const e = healthyEvidence();
  if (e.proxyLogs.ok) e.proxyLogs.value.jwtConfig = { ...e.proxyLogs.value.jwtConfig, ...signs };
  tweak?.(e);
  return runCheck(check, e, context());
}

describe('proxy.jwt-config', () => {
  it('skips when the log shows nothing about keys, pointing at proxy-config', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('istioctl proxy-config listener <pod> -o json');
  });

  it('passes a legacy Loaded JwtAuthConfig with local_jwks for the issuer', () => {
    const [r] = withSigns({ loadedConfigs: [{ issuer: ISSUER, hasLocalJwks: true, line: 'Loaded JwtAuthConfig: ...' }] });
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
  });

  it('fails a legacy config loaded without local_jwks', () => {
    const [r] = withSigns({ loadedConfigs: [{ issuer: ISSUER, hasLocalJwks: false, line: 'Loaded JwtAuthConfig: ...' }] });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('has no local_jwks: the proxy holds NO keys');
  });

  it('passes a multi-line dump with keys, counting them and naming their kids', () => {
    const [r] = withSigns({ loadedConfigs: [{ issuer: ISSUER, hasLocalJwks: true, keySet: 'keys', kids: ['a', 'b'], line: '[…] Loaded JwtAuthConfig: rules {' }] });
    expect(r).toMatchObject({ status: 'pass', subject: ISSUER });
    expect(r?.detail).toContain('holds 2 keys in local_jwks (kids "a", "b"): Pilot fetched the keys');
  });

  it('fails an empty inline_string naming the issuer and the key URL, with the legacy 401', () => {
    const [r] = withSigns({ loadedConfigs: [{ issuer: ISSUER, hasLocalJwks: false, keySet: 'empty-inline', line: '[…] Loaded JwtAuthConfig: rules {' }] }, (e) => {
      if (e.policies.ok) e.policies.value.jwtRules = [rule({ api: 'legacy', source: { kind: 'Policy', apiVersion: 'authentication.istio.io/v1alpha1', namespace: 'foo', name: 'jwt' } })];
    });
    expect(r).toMatchObject({ status: 'fail', subject: ISSUER });
    expect(r?.detail).toContain(`Loaded JwtAuthConfig for ${ISSUER} has an empty local_jwks (inline_string: "")`);
    expect(r?.detail).toContain(`could not fetch them from ${JWKS_URI}`);
    expect(r?.detail).toContain('401 "Origin authentication failed."');
    expect(r?.fix).toContain(JWKS_URI);
  });

  it('names the key URL discovery found when the rule has no jwksUri', () => {
    const [r] = withSigns({ loadedConfigs: [{ issuer: ISSUER, hasLocalJwks: false, keySet: 'no-keys', line: '…' }] }, (e) => {
      if (e.policies.ok) e.policies.value.jwtRules = [rule({ jwksUri: undefined })];
      if (e.issuers.ok) e.issuers.value['RequestAuthentication/foo/jwt-example#0'] = issuerEvidence({ keySource: 'discovery', keySetUrl: 'https://issuer.example/certs' });
    });
    expect(r?.detail).toContain('a local_jwks key set without keys');
    expect(r?.detail).toContain('from https://issuer.example/certs');
  });

  it('says nothing about a provider that fetches its keys remotely', () => {
    const [r] = withSigns({ loadedConfigs: [{ issuer: ISSUER, hasLocalJwks: false, keySet: 'remote', line: '…' }] });
    expect(r?.status).toBe('skip');
  });

  it('fails a listener rejected for invalid local jwks', () => {
    const [r] = withSigns({
      listenerRejections: [
        "gRPC config for type.googleapis.com/envoy.config.listener.v3.Listener rejected: Error adding/updating listener(s) virtualInbound: Provider 'origins-0' in jwt_authn config has invalid local jwks: Jwks RSA [n] or [e] field is missing or has a parse error",
      ],
    });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('the proxy may run WITHOUT the new policy');
    expect(r?.fix).toMatch(/proxy-status/);
  });

  it('fails remote JWKS fetch failures, naming the mode', () => {
    const [r] = withSigns(
      { remoteFetchFailures: ['fetch pubkey [uri = https://issuer.example/jwks] failed: [cluster = outbound|443||issuer.example] is not configured'] },
      (e) => {
        if (e.istio.ok) e.istio.value.env = { PILOT_JWT_ENABLE_REMOTE_JWKS: 'envoy' };
      },
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('PILOT_JWT_ENABLE_REMOTE_JWKS=envoy');
    expect(r?.fix).toMatch(/ServiceEntry/);
  });

  it('fails placeholder keys with the release-specific status and decodes the 1.15–1.20 URI', () => {
    const n = Buffer.from('Error-IstiodFailedToFetchJwksUri-https://issuer.example/jwks').toString('base64url');
    const [r] = withSigns({ placeholderKeys: [`"kid":"abc","n":"${n}"`] }, (e) => {
      if (e.istio.ok) e.istio.value.version = { major: 1, minor: 18, patch: 2 };
    });
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('istiod pushed placeholder keys');
    expect(r?.detail).toContain('https://issuer.example/jwks');
    expect(r?.detail).toContain("Jwks doesn't have key to match kid or alg from Jwt");
  });
});
