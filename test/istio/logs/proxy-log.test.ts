import { readFileSync } from 'node:fs';
import { scanProxyLog, summariseProxyLog } from '../../../src/istio/logs/proxy-log.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/logs/${name}`, import.meta.url), 'utf8');

describe('scanProxyLog: legacy Loaded JwtAuthConfig (Istio 1.0)', () => {
  const signs = scanProxyLog(fixture('istio-proxy-1.0-legacy.log'));

  it('finds each issuer and whether Pilot put keys into local_jwks', () => {
    expect(signs.loadedConfigs.map(({ issuer, hasLocalJwks }) => ({ issuer, hasLocalJwks }))).toEqual([
      { issuer: 'testing@secure.istio.io', hasLocalJwks: true },
      { issuer: 'https://accounts.example.com', hasLocalJwks: false },
    ]);
    expect(signs.loadedConfigs[0]?.line).toContain('Loaded JwtAuthConfig');
    expect(signs.loadedConfigs[0]?.line.length).toBeLessThanOrEqual(400);
  });

  it('sees no rejection, fetch failure or placeholder there', () => {
    expect(signs.listenerRejections).toEqual([]);
    expect(signs.remoteFetchFailures).toEqual([]);
    expect(signs.placeholderKeys).toEqual([]);
  });

  it('counts its 1.0-format access lines in the one-pass summary', () => {
    const { access, jwtConfig } = summariseProxyLog(fixture('istio-proxy-1.0-legacy.log'));
    expect(access).toMatchObject({ lines: 7, accessLines: 2, byCode: { '401': 1, '200': 1 } });
    expect(jwtConfig.loadedConfigs).toHaveLength(2);
  });
});

describe('scanProxyLog: NACKs, remote fetch failures, placeholder keys', () => {
  const signs = scanProxyLog(fixture('istio-proxy-nack.log'));

  it('reports the listener rejected for an invalid local jwks', () => {
    expect(signs.listenerRejections).toHaveLength(1);
    expect(signs.listenerRejections[0]).toMatch(/Listener rejected.*Provider 'origins-0' in jwt_authn config has invalid local jwks: Jwks RSA \[n\] or \[e\]/);
  });

  it('reports Envoy\'s own JWKS fetch failures but not the access line carrying the same status', () => {
    expect(signs.remoteFetchFailures).toHaveLength(2);
    expect(signs.remoteFetchFailures[0]).toMatch(/fetch pubkey \[uri = https:\/\/idp\.example\.com\/jwks\] failed: \[cluster = outbound\|443\|\|idp\.example\.com\] is not configured/);
    expect(signs.remoteFetchFailures.some((l) => l.includes('jwt_authn_access_denied'))).toBe(false);
  });

  it('recognises the 1.21–1.28.4 fake JWKS in a modern JwtAuthConfig dump', () => {
    expect(signs.placeholderKeys).toEqual([expect.stringMatching(/vqS7RN4b34i3.*1\.21–1\.28\.4/)]);
    expect(signs.loadedConfigs).toEqual([expect.objectContaining({ issuer: 'https://idp.example.com', hasLocalJwks: true })]);
  });

  it.each([
    ["Issuer 'https://idp.example.com' in jwt_authn config has invalid local jwks: Jwks is an invalid JSON"],
    ['Invalid inline jwks for issuer: https://idp.example.com, jwks: {"keys":[]}'],
  ])('also accepts the older wording %s', (line) => {
    expect(scanProxyLog(`2020-06-01T10:00:00.000000Z\twarning\tenvoy config\t${line}`).listenerRejections).toHaveLength(1);
  });

  it('finds the 1.15–1.20 placeholder in a config dump', () => {
    const dump = '"local_jwks":{"inline_string":"{\\"keys\\":[{\\"e\\":\\"AQAB\\",\\"kid\\":\\"abc\\",\\"kty\\":\\"RSA\\",\\"n\\":\\"RXJyb3ItSXN0aW9kRmFpbGVkVG9GZXRjaEp3a3NVcmktaHR0cHM6Ly9pZHA\\"}]}"}';
    expect(scanProxyLog(dump).placeholderKeys).toEqual([expect.stringMatching(/1\.15–1\.20/)]);
  });
});

describe('summariseProxyLog on the 1.22 sample', () => {
  it('summarises access lines and finds no config trouble', () => {
    const { access, jwtConfig } = summariseProxyLog(fixture('istio-proxy-1.22.log'));
    expect(access.accessLines).toBe(19);
    expect(access.denials.length).toBe(6);
    expect(jwtConfig).toEqual({ loadedConfigs: [], listenerRejections: [], remoteFetchFailures: [], placeholderKeys: [] });
  });
});
