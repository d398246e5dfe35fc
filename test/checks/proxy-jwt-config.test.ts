import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/proxy-jwt-config.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { Evidence, ProxyJwtConfigSigns } from '../../src/model/index.js';
import { ISSUER, context, healthyEvidence } from '../support/evidence.js';

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
    expect(r?.detail).toContain('Pilot did not fetch the keys');
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
