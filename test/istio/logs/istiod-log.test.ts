import { readFileSync } from 'node:fs';
import { FETCH_WORDINGS, matchKeyFetchFailure, parseIstiodLine, scanIstiodLog } from '../../../src/istio/logs/istiod-log.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/logs/${name}`, import.meta.url), 'utf8');

describe('parseIstiodLine', () => {
  it('reads tab-separated, JSON and kubectl-timestamped lines', () => {
    const text = '2026-11-29T09:41:07.180922Z\terror\tmodel\tFailed to fetch public key from jwks URI "https://idp.example.com/certs": Get "https://idp.example.com/certs": x509: certificate signed by unknown authority';
    expect(parseIstiodLine(text)).toMatchObject({ time: '2026-11-29T09:41:07.180922Z', level: 'error', scope: 'model' });
    expect(parseIstiodLine(`2026-11-29T09:41:07.181000000Z ${text}`)?.time).toBe('2026-11-29T09:41:07.180922Z');
    expect(parseIstiodLine('{"level":"error","time":"2024-08-02T14:03:55Z","scope":"model","msg":"boom"}')).toEqual({
      level: 'error', time: '2024-08-02T14:03:55Z', scope: 'model', msg: 'boom',
    });
    expect(parseIstiodLine('2022-03-14T08:12:01.345678Z\tinfo\tFLAG: --domain="cluster.local"')).toMatchObject({ level: 'info', msg: 'FLAG: --domain="cluster.local"' });
  });
});

describe('matchKeyFetchFailure: every wording in ISTIO-JWT.md §3.2', () => {
  it.each([
    // Push path (placeholder keys follow): discovery, issuer resolution, the JWKS fetch.
    ['Failed to fetch jwks_uri from "https://i.example/.well-known/openid-configuration": status 404, message nope', { issuer: 'https://i.example', url: 'https://i.example/.well-known/openid-configuration', cause: 'status 404, message nope', path: 'push', placeholder: true }],
    ['Failed to get jwks URI from issuer "https://i.example": no such host', { issuer: 'https://i.example', cause: 'no such host', path: 'push', placeholder: true }],
    ['Failed to jwks URI from "https://i.example": no such host', { issuer: 'https://i.example', cause: 'no such host', path: 'push', placeholder: true }],
    ['Failed to fetch public key from jwks URI "https://i.example/k": Get "https://i.example/k": x509: certificate signed by unknown authority', { url: 'https://i.example/k', cause: 'x509: certificate signed by unknown authority', path: 'push', placeholder: true }],
    ['Failed to fetch public key from "https://i.example/k": Get "https://i.example/k": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', { url: 'https://i.example/k', cause: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)', path: 'push', placeholder: true }],
    // Refresh path (the last good keys stay).
    ['Failed to GET from "https://i.example/k": status 503, message down. Retry in 1s', { url: 'https://i.example/k', cause: 'status 503, message down', path: 'refresh', placeholder: false }],
    ['Failed to refresh JWT public key from "https://i.example/k": no such host', { url: 'https://i.example/k', cause: 'no such host', path: 'refresh', placeholder: false }],
    ['Failed to resolve Jwks from issuer "https://i.example": no such host', { issuer: 'https://i.example', cause: 'no such host', path: 'refresh', placeholder: false }],
    // Fallback notices.
    ['Failed to fetch jwt public key from "https://i.example/k": no such host', { url: 'https://i.example/k', cause: 'no such host', path: 'fallback', placeholder: true }],
    ['Failed to fetch jwt public key from issuer "https://i.example", jwks uri "https://i.example/k": empty public key found in cache', { issuer: 'https://i.example', url: 'https://i.example/k', cause: 'empty public key found in cache', path: 'fallback', placeholder: true }],
    ['The JWKS key is not yet fetched for issuer https://i.example (https://i.example/k), using a fake JWKS for now', { issuer: 'https://i.example', url: 'https://i.example/k', path: 'fallback', placeholder: true }],
    ['JWKS fetch failed for issuer https://i.example (https://i.example/k), using public-only JWKS with discarded private key - JWT requests will be rejected', { issuer: 'https://i.example', url: 'https://i.example/k', path: 'fallback', placeholder: true }],
    ['Failed to look up Envoy cluster host i.example not found. Please create ServiceEntry to register external JWKs server or set PILOT_JWT_ENABLE_REMOTE_JWKS to hybrid/istiod mode.', { cause: 'no Envoy cluster for the key URL (remote JWKS mode): host i.example not found', path: 'remote', placeholder: false }],
  ])('%s', (msg, expected) => {
    expect(matchKeyFetchFailure(msg)).toMatchObject(expected);
  });

  it('ignores ordinary lines', () => {
    expect(matchKeyFetchFailure('ADS: new connection for node:x')).toBeUndefined();
    expect(matchKeyFetchFailure('Updated cached JWT public key from "https://i.example/k"')).toBeUndefined();
  });
});

describe('scanIstiodLog by release', () => {
  it('1.12: groups repeated discovery failures, names the issuer, and marks the fallback', () => {
    const ev = scanIstiodLog(fixture('istiod-1.12.log'));
    expect(ev.lines).toBe(12);
    const dns = ev.fetchFailures.filter((f) => f.issuer === 'https://idp.example.com');
    // Two discovery failures plus one refresh of the same discovery URL: one group; the first discovery
    // failure was on the push path (the fallback notice follows it), so the group means placeholder keys.
    const discovery = dns.find((f) => f.url === 'https://idp.example.com/.well-known/openid-configuration');
    expect(discovery).toMatchObject({ cause: 'dial tcp: lookup idp.example.com on 10.96.0.10:53: no such host', count: 3, time: '2022-03-14T08:16:44.131002Z', placeholder: true });
    const partner = ev.fetchFailures.find((f) => f.url === 'https://keys.partner.example/jwks.json' && f.cause === 'status 404, message {"error":"not found"}');
    // The Retry lines name only the url; the fallback line names the issuer too.
    expect(partner).toMatchObject({ issuer: 'https://partner.example', count: 3, placeholder: true, time: '2022-03-14T08:18:09.780114Z' });
  });

  it('1.18: x509 failures, the fake-JWKS notice, a jwks ACK ERROR and a key update', () => {
    const ev = scanIstiodLog(fixture('istiod-1.18.log'));
    const url = 'https://keycloak.example.com/realms/demo/protocol/openid-connect/certs';
    const x509 = ev.fetchFailures.find((f) => f.url === url && f.cause === 'x509: certificate signed by unknown authority');
    expect(x509).toMatchObject({ issuer: 'https://keycloak.example.com/realms/demo', count: 3, time: '2023-06-20T10:31:58.920114Z' });
    expect(ev.fetchFailures.find((f) => f.url === url && f.placeholder)).toBeDefined();
    expect(ev.ackErrors).toHaveLength(1);
    expect(ev.ackErrors[0]).toMatch(/ADS:LDS: ACK ERROR .*invalid local jwks: \[kty\] is not supported in \[keys\]/);
    expect(ev.keyUpdates).toEqual(['2023-06-20T10:12:00.010002Z Updated cached JWT public key from "https://accounts.google.com/.well-known/openid-configuration"']);
  });

  it('1.22 (JSON encoding): discovery timeouts, the fake-JWKS notice and remote-JWKS mode', () => {
    const ev = scanIstiodLog(fixture('istiod-1.22.json.log'));
    expect(ev.lines).toBe(6);
    expect(ev.fetchFailures.find((f) => f.cause.startsWith('context deadline exceeded'))).toMatchObject({
      issuer: 'https://login.example.org/oauth2', count: 2, placeholder: true, time: '2024-08-02T14:04:55.830188Z',
    });
    expect(ev.fetchFailures.find((f) => f.placeholder)).toMatchObject({ issuer: 'https://login.example.org/oauth2' });
    expect(ev.fetchFailures.find((f) => f.cause.includes('remote JWKS mode'))).toMatchObject({ url: 'https://keys.internal.example/jwks' });
  });

  it('1.29.1 (kubectl --timestamps): the public-only placeholder notice', () => {
    const ev = scanIstiodLog(fixture('istiod-1.29.1.log'));
    expect(ev.lines).toBe(5);
    const url = 'https://idp.corp.example/jwks.json';
    // Two push-path fetches and one refresh with the same cause: one group, placeholder keys pushed.
    expect(ev.fetchFailures.find((f) => f.url === url && f.cause === 'x509: certificate signed by unknown authority')).toMatchObject({
      issuer: 'https://idp.corp.example', count: 3, time: '2026-11-29T10:02:07.201190Z', placeholder: true,
    });
    expect(ev.fetchFailures.find((f) => f.url === url && /public-only placeholder/.test(f.cause))?.placeholder).toBe(true);
    expect(ev.ackErrors).toEqual([]);
  });

  it('marks a log of refresh and retry errors only as not pushing placeholder keys', () => {
    const ev = scanIstiodLog([
      '2026-11-29T10:01:00.000001Z\terror\tmodel\tFailed to GET from "https://idp.example/keys": Get "https://idp.example/keys": dial tcp 10.0.0.9:443: i/o timeout. Retry in 1s',
      '2026-11-29T10:01:08.000001Z\terror\tmodel\tFailed to refresh JWT public key from "https://idp.example/keys": Get "https://idp.example/keys": dial tcp 10.0.0.9:443: i/o timeout',
      '2026-11-29T10:02:00.000001Z\terror\tmodel\tFailed to fetch jwks_uri from "https://other.example/.well-known/openid-configuration": Get "https://other.example/.well-known/openid-configuration": no such host',
      '2026-11-29T10:02:00.000002Z\terror\tmodel\tFailed to resolve Jwks from issuer "https://other.example/": Get "https://other.example/.well-known/openid-configuration": no such host',
    ].join('\n'));
    expect(ev.fetchFailures.length).toBeGreaterThan(0);
    expect(ev.fetchFailures.every((f) => !f.placeholder)).toBe(true);
  });

  it('keeps a discovery failure that no refresh line follows on the push path', () => {
    const ev = scanIstiodLog('2026-11-29T10:02:00.000001Z\terror\tmodel\tFailed to fetch jwks_uri from "https://other.example/.well-known/openid-configuration": status 404, message x');
    expect(ev.fetchFailures).toEqual([expect.objectContaining({ placeholder: true, count: 1 })]);
  });
});

/**
 * One test per row of the release table, each line built from the row's Go format string as Pilot/istiod prints it:
 * `<RFC 3339 time>\t<level>\t[<scope>\t]<message>` — jwks_resolver.go logs in scope "model", the authn plugin / policy
 * appliers in the default scope, which prints no scope column (istio/istio 1.0.6 pkg/log/scope.go: nameToEmit is
 * empty for the default scope).
 */
describe('FETCH_WORDINGS: the release table, one row at a time', () => {
  const ISS = 'https://accounts.example.com';
  const URI = 'https://www.googleapis.com/oauth2/v3/certs';
  const ERR = 'Get https://www.googleapis.com/oauth2/v3/certs: dial tcp: lookup www.googleapis.com on 10.96.0.10:53: no such host';
  /** Arguments in the order of each wording's verbs; the test fails for a row without an entry here. */
  const ARGS: Record<string, string[]> = {
    'JWKS fetch failed for issuer %s (%s), using public-only JWKS with discarded private key - JWT requests will be rejected': [ISS, URI],
    'The JWKS key is not yet fetched for issuer %s (%s), using a fake JWKS for now': [ISS, URI],
    'Failed to fetch jwt public key from issuer %q, jwks uri %q: %s': [ISS, URI, ERR],
    'Failed to fetch jwt public key from %q: %s': [URI, ERR],
    'Failed to fetch jwt public key from %q': [URI],
    'Failed to fetch jwks_uri from %q: %v': [`${ISS}/.well-known/openid-configuration`, ERR],
    'Failed to get jwks_uri for issuer %q: %v': [ISS, ERR],
    'Failed to get jwks URI from issuer %q: %v': [ISS, ERR],
    'Failed to jwks URI from %q: %v': [ISS, ERR],
    'Failed to fetch pubkey from %q: %v': [URI, ERR],
    'Failed to fetch public key from jwks URI %q: %v': [URI, ERR],
    'Failed to fetch public key from %q: %v': [URI, ERR],
    'Failed to GET from %q: %s. Retry in %v': [URI, ERR, '1s'],
    'Failed to GET from %q: %s. Retry in %d seconds': [URI, ERR, '1'],
    'Failed to refresh JWT public key from %q: %v': [URI, ERR],
    'Cannot fetch JWT public key from %q, %v': [URI, ERR],
    'Failed to resolve Jwks from issuer %q: %v': [ISS, ERR],
    'pilot does not support fetch public key through https endpoint %q': [URI],
    'Failed to look up Envoy cluster %v. Please create ServiceEntry to register external JWKs server or set PILOT_JWT_ENABLE_REMOTE_JWKS to hybrid/istiod mode.': [`${URI} not found`],
  };
  const sprintf = (format: string, args: string[]): string => {
    let i = 0;
    return format.replace(/%[qsvd]/g, (verb) => {
      const arg = args[i++] ?? '';
      return verb === '%q' ? JSON.stringify(arg) : arg;
    });
  };

  it.each(FETCH_WORDINGS.map((row) => [row.releases, row.wording, row] as const))('%s: %s', (_releases, wording, row) => {
    const args = ARGS[wording];
    if (!args) throw new Error(`no test arguments for the wording ${wording}`);
    const scope = row.source.startsWith('pilot/pkg/model/') ? 'model\t' : row.path === 'remote' ? 'authn\t' : '';
    const line = `2018-07-04T19:13:31.204512Z\t${row.level}\t${scope}${sprintf(wording, args)}`;
    const { fetchFailures } = scanIstiodLog(`2018-07-04T19:13:30.101203Z\tinfo\tVersion root@x-docker.io/istio-1.0.6\n${line}\n`);
    expect(fetchFailures).toHaveLength(1);
    const f = fetchFailures[0];
    const named = [f?.url, f?.issuer].filter(Boolean).join(' ');
    // Every row names what failed: the key URL or the issuer (remote mode: the URL inside the cluster error).
    expect(named).toMatch(/issuer|jwks_uri from|jwks URI from %q/.test(wording) ? ISS : URI);
    expect(f?.time).toBe('2018-07-04T19:13:31.204512Z');
    expect(f?.placeholder).toBe(row.path === 'fallback' || row.path === 'push');
    if (args.includes(ERR)) expect(f?.cause).toBe('dial tcp: lookup www.googleapis.com on 10.96.0.10:53: no such host');
    expect(row.re.test(sprintf(wording, args))).toBe(true);
  });

  it('does not read the 1.0–1.2 tail-less notice as the 1.3–1.9 one, nor the reverse', () => {
    expect(matchKeyFetchFailure(`Failed to fetch jwt public key from "${URI}"`)?.cause).toMatch(/pushed an empty key set/);
    expect(matchKeyFetchFailure(`Failed to fetch jwt public key from "${URI}": boom`)?.cause).toBe('boom');
  });
});
