import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/istiod-jwks-fetch.js';
import { runCheck } from '../../src/engine/run-checks.js';
import type { Evidence, IstiodKeyFetchFailure } from '../../src/model/index.js';
import { scanIstiodLog } from '../../src/istio/logs/istiod-log.js';
import { ISSUER, JWKS_URI, context, healthyEvidence, ok, pod, policySet, rule } from '../support/evidence.js';

function withFailures(failures: IstiodKeyFetchFailure[], tweak?: (e: Evidence) => void) {
  const e = healthyEvidence();
  if (e.istiodLogs.ok) e.istiodLogs.value.fetchFailures = failures;
  tweak?.(e);
  return runCheck(check, e, context());
}

const failure = (o: Partial<IstiodKeyFetchFailure>): IstiodKeyFetchFailure => ({
  url: JWKS_URI,
  cause: 'x509: certificate signed by unknown authority',
  placeholder: true,
  time: '2026-11-29T09:58:00Z',
  count: 3,
  ...o,
});

describe('istiod.jwks-fetch', () => {
  it('passes when istiod logged no failure for the issuer', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.subject).toBe(ISSUER);
  });

  it('fails an x509 failure on the jwksUri with the 1.21+ meaning and CA fixes', () => {
    const [r] = withFailures([failure({})]);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('does not trust the TLS certificate');
    expect(r?.detail).toContain('Jwt verification fails');
    expect(r?.fix).toContain('jwksResolverExtraRootCA');
    expect(r?.fix).toContain('JWKS_RESOLVER_INSECURE_SKIP_VERIFY');
  });

  it('matches the discovery URL with a trailing-slash issuer and gives the 1.8–1.20 meaning', () => {
    const [r] = withFailures(
      [failure({ url: `${ISSUER}/.well-known/openid-configuration`, cause: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)' })],
      (e) => {
        e.policies = ok(policySet({ jwtRules: [rule({ issuer: `${ISSUER}/`, jwksUri: undefined })] }));
        if (e.istio.ok) e.istio.value.version = { major: 1, minor: 17, patch: 0 };
      },
    );
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('timed out');
    expect(r?.detail).toContain("Jwks doesn't have key to match kid or alg from Jwt");
    expect(r?.fix).toContain('HTTPS_PROXY');
  });

  it('names a 404 and a missing host', () => {
    expect(withFailures([failure({ cause: 'status 404, message Not Found' })])[0]?.fix).toMatch(/Fix the URL/);
    expect(withFailures([failure({ cause: 'dial tcp: lookup issuer.example on 10.96.0.10:53: no such host' })])[0]?.detail).toMatch(/cannot resolve/);
  });

  it('prefers a concrete cause over istiod\'s fallback notice', () => {
    const [r] = withFailures([
      failure({ issuer: ISSUER, cause: 'the keys were not fetched yet; istiod pushed a fake JWKS', time: '2026-11-29T09:59:00Z', count: 1 }),
      failure({ cause: 'dial tcp: lookup issuer.example: no such host', time: '2026-11-29T09:58:59Z', count: 1 }),
    ]);
    expect(r?.status).toBe('fail');
    expect(r?.detail).toMatch(/^istiod cannot resolve/);
  });

  it('warns when a later "Updated cached JWT public key" line shows recovery', () => {
    const [r] = withFailures([failure({})], (e) => {
      if (e.istiodLogs.ok) e.istiodLogs.value.keyUpdates = [`2026-11-29T09:59:30.000Z info model Updated cached JWT public key from "${JWKS_URI}"`];
    });
    expect(r?.status).toBe('warn');
    expect(r?.detail).toMatch(/recovered/);
  });

  it('passes with a note when failures are for other issuers', () => {
    const [r] = withFailures([failure({ url: 'https://elsewhere.example/jwks', issuer: 'https://elsewhere.example' })]);
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('other issuers');
  });

  it('skips when istiod is not found (managed control plane)', () => {
    const e = healthyEvidence();
    if (e.istio.ok) e.istio.value.istiodPods = [];
    const [r] = runCheck(check, e, context());
    expect(r?.status).toBe('skip');
    expect(r?.detail).toContain('istiod not found in istio-system: managed control plane?');
  });

  describe('push path versus refresh path (ISTIO-JWT §3.1–3.2)', () => {
    const fromLog = (lines: string[], tweak?: (e: Evidence) => void) =>
      withFailures([], (e) => {
        if (e.istiodLogs.ok) e.istiodLogs.value = { pod: 'istiod-5d4f9c7b8-xk2lp', ...scanIstiodLog(lines.join('\n')) };
        tweak?.(e);
      });

    it('warns, not fails, when only refresh/retry errors are logged: the last good keys stay', () => {
      const [r] = fromLog([
        `2026-11-29T10:01:00.000001Z\terror\tmodel\tFailed to GET from "${JWKS_URI}": Get "${JWKS_URI}": dial tcp 10.0.0.9:443: i/o timeout. Retry in 1s`,
        `2026-11-29T10:01:08.000001Z\terror\tmodel\tFailed to refresh JWT public key from "${JWKS_URI}": Get "${JWKS_URI}": dial tcp 10.0.0.9:443: i/o timeout`,
      ]);
      expect(r?.status).toBe('warn');
      expect(r?.detail).toContain('istiod could not refresh the keys');
      expect(r?.detail).toContain('keeps the last good ones');
      expect(r?.detail).toContain('key rotation is not picked up');
      expect(r?.detail).not.toContain('every token gets 401');
      expect(r?.fix).toContain('rollout restart');
    });

    it('fails a push-path error that no later "Updated cached JWT public key" line follows', () => {
      const [r] = fromLog([
        `2026-11-29T10:01:00.000001Z\terror\tmodel\tFailed to fetch public key from jwks URI "${JWKS_URI}": Get "${JWKS_URI}": x509: certificate signed by unknown authority`,
      ]);
      expect(r?.status).toBe('fail');
      expect(r?.detail).toContain('every token gets 401');
    });

    it('warns when the keys of the rule were updated after an issuer-level push failure', () => {
      const [r] = fromLog([
        `2026-11-29T10:01:00.000001Z\terror\tmodel\tFailed to get jwks URI from issuer "${ISSUER}": no such host`,
        `2026-11-29T10:05:00.000001Z\tinfo\tmodel\tUpdated cached JWT public key from "${JWKS_URI}"`,
      ]);
      expect(r?.status).toBe('warn');
      expect(r?.detail).toMatch(/recovered/);
    });
  });

  describe('ADS:LDS ACK ERROR lines are mesh-wide', () => {
    const ack = (conn: string) =>
      `2026-11-29T09:44:10.004988Z warn ads ADS:LDS: ACK ERROR ${conn} Internal:Error adding/updating listener(s) virtualInbound: Provider 'origins-0' in jwt_authn config has invalid local jwks: [kty] is not supported in [keys]`;
    const withAcks = (lines: string[], tweak?: (e: Evidence) => void) =>
      withFailures([], (e) => {
        if (e.istiodLogs.ok) e.istiodLogs.value.ackErrors = lines;
        tweak?.(e);
      });

    it('reads the pods when they are there, without depending on them', () => {
      expect(check.uses).toContain('pods');
      expect(check.needs).not.toContain('pods');
    });

    it.each([
      ['1.1+ connection id', 'httpbin-7d9c5b8f4-abcde.foo-1'],
      ['1.0 sidecar~ip~pod.ns~ id', 'sidecar~10.0.0.1~httpbin-7d9c5b8f4-abcde.foo~foo.svc.cluster.local-12'],
    ])('fails on a NACK from one of the target pods (%s)', (_name, conn) => {
      const results = withAcks([ack(conn)]);
      const nack = results.find((r) => r.detail.includes('NACKed'));
      expect(nack?.status).toBe('fail');
      expect(nack?.detail).toContain('httpbin-7d9c5b8f4-abcde');
    });

    it.each([
      ['another workload', 'reviews-5d8b9c8f7d-x2xkq.foo-3'],
      ['the same pod name in another namespace', 'httpbin-7d9c5b8f4-abcde.bar-1'],
      ['a namespace that only starts the same', 'httpbin-7d9c5b8f4-abcde.foo-bar-1'],
    ])('ignores a NACK from %s (at most a note)', (_name, conn) => {
      const results = withAcks([ack(conn)]);
      expect(results.map((r) => r.status)).toEqual(['pass']);
      expect(results[0]?.detail).toContain('1 ACK ERROR line about the JWT config of other proxies');
    });

    it('still judges the key fetches when the pods cannot be read, leaving NACKs untied to this service', () => {
      const results = withAcks([ack('httpbin-7d9c5b8f4-abcde.foo-1')], (e) => {
        e.pods = { ok: false, error: { code: 'forbidden', message: 'may not list pods' } };
      });
      expect(results.map((r) => r.status)).toEqual(['pass']);
      expect(results[0]?.detail).toContain('not tied to this service (its pods could not be read)');
    });

    it('names the replica whose proxy NACKed', () => {
      const results = withAcks([ack('httpbin-1.foo-2')], (e) => {
        e.pods = ok([pod(), pod({ name: 'httpbin-1' })]);
      });
      expect(results.some((r) => r.status === 'fail' && r.detail.includes('the proxy of httpbin-1'))).toBe(true);
    });
  });

  describe('remote-JWKS mode (ISTIO-JWT §3.3)', () => {
    const remoteLine = `2024-08-02T14:06:20.001233Z\terror\tauthn\tFailed to look up Envoy cluster jwks server not found for "${JWKS_URI}". Please create ServiceEntry to register external JWKs server or set PILOT_JWT_ENABLE_REMOTE_JWKS to hybrid/istiod mode.`;

    it('says the sidecar, not istiod, must reach the IdP and that tokens get "Jwks remote fetch is failed"', () => {
      const [r] = withFailures([], (e) => {
        if (e.istiodLogs.ok) e.istiodLogs.value = { pod: 'istiod-x', ...scanIstiodLog(remoteLine) };
        if (e.istio.ok) e.istio.value.env = { PILOT_JWT_ENABLE_REMOTE_JWKS: 'envoy' };
      });
      expect(r?.status).toBe('fail');
      expect(r?.detail).toContain('PILOT_JWT_ENABLE_REMOTE_JWKS=envoy');
      expect(r?.detail).toContain('the sidecar, not istiod, fetches the keys');
      expect(r?.detail).toContain('401 "Jwks remote fetch is failed"');
      expect(r?.detail).not.toContain('placeholder');
      expect(r?.fix).toContain("sidecars (not istiod) must reach");
      expect(r?.fix).toContain('ServiceEntry');
    });

    it('matches a line that names only the jwksUri host', () => {
      const [r] = withFailures([{ cause: 'no Envoy cluster for the key URL (remote JWKS mode): host issuer.example not found', placeholder: false, count: 1 }], (e) => {
        e.policies = ok(policySet({ jwtRules: [rule({ jwksUri: 'https://issuer.example/keys' })] }));
      });
      expect(r?.status).toBe('fail');
      expect(r?.detail).toContain('Jwks remote fetch is failed');
    });
  });

  describe('Pilot era (Istio 1.0–1.4: Deployment istio-pilot, container discovery)', () => {
    const legacyRule = rule({ api: 'legacy', source: { kind: 'Policy', apiVersion: 'authentication.istio.io/v1alpha1', namespace: 'foo', name: 'httpbin-jwt' } });
    const pilot = (log: string, tag = '1.0.6') => {
      const e = healthyEvidence();
      if (e.istio.ok) {
        const [major = 1, minor = 0, patch = 0] = tag.split('.').map(Number);
        e.istio.value = { ...e.istio.value, tag, version: { major, minor, patch }, istiodPods: ['istio-pilot-6c7f9b8d5-2xvqz'] };
      }
      if (e.policies.ok) e.policies.value = policySet({ jwtRules: [legacyRule], requestAuthentications: [], authorizationPolicies: [] });
      e.istiodLogs = ok({ pod: 'istio-pilot-6c7f9b8d5-2xvqz', ...scanIstiodLog(log) });
      return runCheck(check, e, context());
    };
    // Istio 1.0.6: jwks_resolver.go logs in scope "model"; plugin/authn/authentication.go in the default scope (no column).
    const LOG_1_0 = [
      '2026-11-29T09:30:12.401233Z\tinfo\tVersion root@6f6ea1061f2b-docker.io/istio-1.0.6-98598f88f6ee9c1e6b3f03b652d8e0e3cd114fa2-Clean',
      `2026-11-29T09:41:02.101233Z\terror\tmodel\tFailed to fetch pubkey from "${JWKS_URI}": Get ${JWKS_URI}: dial tcp: lookup issuer.example on 10.96.0.10:53: no such host`,
      `2026-11-29T09:41:02.101301Z\twarn\tFailed to fetch jwt public key from "${JWKS_URI}"`,
    ].join('\n');

    it('fails on 1.0 wording: names the URL and the cause, the empty key set, Pilot and its Deployment', () => {
      const [r] = pilot(LOG_1_0);
      expect(r).toMatchObject({ status: 'fail', subject: ISSUER });
      expect(r?.detail).toContain('Pilot cannot resolve the key server');
      expect(r?.detail).toContain(JWKS_URI);
      expect(r?.detail).toContain('Istio 1.0.6 pushed an empty key set (local_jwks inline_string: "")');
      expect(r?.detail).toContain('401 "Origin authentication failed."');
      expect(r?.fix).toContain('deployment/istio-pilot');
      expect(r?.fix).not.toContain('istiod');
    });

    it('fails on the 1.4 wording with its error tail', () => {
      const [r] = pilot(`2026-11-29T09:41:02.101233Z\terror\tFailed to fetch jwt public key from "${JWKS_URI}": Get ${JWKS_URI}: net/http: request canceled (Client.Timeout exceeded while awaiting headers)`, '1.4.6');
      expect(r?.status).toBe('fail');
      expect(r?.detail).toContain("Pilot's request to the key server timed out");
    });

    it('says a failed discovery on 1.0–1.3 drops the whole Policy (no JWT check at all)', () => {
      const [r] = pilot(`2026-11-29T09:41:02.101233Z\twarn\tmodel\tFailed to get jwks_uri for issuer "${ISSUER}": Get ${ISSUER}/.well-known/openid-configuration: x509: certificate signed by unknown authority`);
      expect(r?.status).toBe('fail');
      expect(r?.detail).toContain('leaves Policy foo/httpbin-jwt out of this service');
      expect(r?.detail).toContain('requests without a token pass');
      expect(r?.fix).toContain('jwks_uri');
    });

    it('passes a Pilot log whose failures are about another key URL, and says so', () => {
      const [r] = pilot(`2026-11-29T09:41:02.101233Z\terror\tmodel\tFailed to fetch pubkey from "https://other.example/jwks": Get https://other.example/jwks: EOF`);
      expect(r?.status).toBe('pass');
      expect(r?.detail).toContain('other issuers: "https://other.example/jwks"');
    });
  });
});
