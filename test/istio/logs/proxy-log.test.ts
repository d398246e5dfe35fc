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

/** The Istio 1.0 troubleshooting page's own istio-proxy excerpt, verbatim (its grid scenario holds it). */
const SEED_LOG = readFileSync(new URL('../../cases/seed-1.0-proxy-log/proxy.log', import.meta.url), 'utf8');
const SEED_ISSUER = '628645741881-noabiu23f5a8m8ovd8ucv698lj78vv0l@developer.gserviceaccount.com';
const SEED_KIDS = [
  '03bc39a6b56602c0d2ad421c3993d5e4f88e6f54',
  '60aef5b0877e9f0d67b787b5be797636735efdee',
  '62a93512c9ee4c7f8067b5a216dade2763d32a47',
  'b3319a147514df7ee5e4bcdee51350cc890cc89e',
];
/** The same dump with Pilot's empty key set (1.0.6 authentication.go: "Put empty string in config …"). */
const EMPTY_BLOCK = SEED_LOG.replace(/inline_string: ".*"$/m, 'inline_string: ""');

describe('scanProxyLog: the multi-line Loaded JwtAuthConfig dump (Istio 1.0–1.2)', () => {
  it('reads the seed page excerpt: the issuer, its four Google keys, and the two 401s', () => {
    const { access, jwtConfig } = summariseProxyLog(SEED_LOG);
    expect(jwtConfig.loadedConfigs).toEqual([
      expect.objectContaining({ issuer: SEED_ISSUER, hasLocalJwks: true, keySet: 'keys', kids: SEED_KIDS }),
    ]);
    expect(jwtConfig.loadedConfigs[0]?.line).toMatch(/^\[2018-07-04 19:13:30\.762\].*Loaded JwtAuthConfig: rules \{$/);
    expect(access).toMatchObject({ accessLines: 2, byCode: { '401': 2 } });
  });

  it('reads the excerpt as the page prints it, indented inside its list item', () => {
    const indented = SEED_LOG.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n');
    expect(scanProxyLog(indented).loadedConfigs).toEqual([expect.objectContaining({ issuer: SEED_ISSUER, keySet: 'keys' })]);
  });

  it('says "no keys" for an empty inline_string', () => {
    expect(scanProxyLog(EMPTY_BLOCK).loadedConfigs).toEqual([
      expect.objectContaining({ issuer: SEED_ISSUER, hasLocalJwks: false, keySet: 'empty-inline' }),
    ]);
  });

  it('tells apart an absent local_jwks, a key set without keys and a remote_jwks', () => {
    const dump = (rule: string): string =>
      `[2018-07-04 19:13:30.762][15][info][config] ./src/envoy/http/jwt_auth/auth_store.h:72] Loaded JwtAuthConfig: rules {\n${rule}}\nallow_missing_or_failed: true\n[2018-07-04 19:13:30.763][15][info][upstream] lds: add/update listener '10.8.2.9_8000'`;
    expect(scanProxyLog(dump('  issuer: "a@example.com"\n  forward: true\n')).loadedConfigs[0]?.keySet).toBe('absent');
    expect(scanProxyLog(dump('  issuer: "a@example.com"\n  local_jwks {\n    inline_string: "{\\"keys\\":[]}"\n  }\n')).loadedConfigs[0]?.keySet).toBe('no-keys');
    expect(scanProxyLog(dump('  issuer: "a@example.com"\n  remote_jwks {\n    http_uri {\n      uri: "https://a.example/jwks"\n    }\n  }\n')).loadedConfigs[0]?.keySet).toBe('remote');
  });

  it('reads a dump for two issuers, one with keys and one without', () => {
    const two = SEED_LOG.replace(
      '}\nallow_missing_or_failed: true',
      '}\nrules {\n  issuer: "https://accounts.example.com"\n  local_jwks {\n    inline_string: ""\n  }\n  forward: true\n}\nallow_missing_or_failed: true',
    );
    expect(scanProxyLog(two).loadedConfigs.map(({ issuer, keySet }) => ({ issuer, keySet }))).toEqual([
      { issuer: SEED_ISSUER, keySet: 'keys' },
      { issuer: 'https://accounts.example.com', keySet: 'empty-inline' },
    ]);
  });

  it('reads the pretty-JSON dump istio/proxy 1.0.0–1.2 really print (getJsonStringFromMessage(config_, true))', () => {
    const json = [
      '[2019-03-11 10:02:01.125][20][debug][config] external/istio_proxy/src/envoy/http/jwt_auth/auth_store.h:79] Loaded JwtAuthConfig: {',
      ' "rules": [',
      '  {',
      `   "issuer": "${SEED_ISSUER}",`,
      '   "local_jwks": {',
      '    "inline_string": ""',
      '   },',
      '   "forward": true,',
      '   "forward_payload_header": "istio-sec-8a85f33ec44c5ccbaf951742ff0aaa34eb94d9bd"',
      '  },',
      '  {',
      '   "issuer": "https://accounts.example.com",',
      '   "local_jwks": {',
      '    "inline_string": "{\\"keys\\":[{\\"kty\\":\\"RSA\\",\\"kid\\":\\"k1\\",\\"n\\":\\"AQAB\\",\\"e\\":\\"AQAB\\"}]}"',
      '   }',
      '  }',
      ' ],',
      ' "allow_missing_or_failed": true',
      '}',
      '[2019-03-11 10:02:01.126][20][debug][upstream] external/envoy/source/server/lds_api.cc:62] lds: add/update listener \'10.8.2.9_8000\'',
    ].join('\n');
    expect(scanProxyLog(json).loadedConfigs.map(({ issuer, keySet, kids }) => ({ issuer, keySet, kids }))).toEqual([
      { issuer: SEED_ISSUER, keySet: 'empty-inline', kids: undefined },
      { issuer: 'https://accounts.example.com', keySet: 'keys', kids: ['k1'] },
    ]);
  });

  it('invents nothing for a dump cut by the read: head lost to the tail limit, or end lost to the byte limit', () => {
    const lines = SEED_LOG.split('\n');
    // tailLines cut the timestamped head: the orphan continuation lines are not a dump.
    expect(scanProxyLog(lines.slice(2).join('\n')).loadedConfigs).toEqual([]);
    // limitBytes cut inside the inline_string: the rule is incomplete, so no "no keys" claim.
    const cut = SEED_LOG.slice(0, SEED_LOG.indexOf('b3319a147514'));
    expect(scanProxyLog(cut).loadedConfigs).toEqual([]);
    // A two-issuer dump cut inside the second rule still reports the whole first one.
    const two = EMPTY_BLOCK.replace('}\nallow_missing_or_failed: true', '}\nrules {\n  issuer: "https://accounts.example.com"\n  local_jwks {\n    inline_str');
    expect(scanProxyLog(two).loadedConfigs).toEqual([expect.objectContaining({ issuer: SEED_ISSUER, keySet: 'empty-inline' })]);
  });

  it('reads continuation lines that kubectl --timestamps prefixed too', () => {
    const stamped = SEED_LOG.split('\n').filter(Boolean).map((l, i) => `2018-07-04T19:13:30.${String(100000000 + i)}Z ${l}`).join('\n');
    expect(scanProxyLog(stamped).loadedConfigs).toEqual([expect.objectContaining({ issuer: SEED_ISSUER, keySet: 'keys' })]);
  });
});
