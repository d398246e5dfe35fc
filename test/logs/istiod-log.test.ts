import { readFileSync } from 'node:fs';
import { matchKeyFetchFailure, parseIstiodLine, scanIstiodLog } from '../../src/logs/istiod-log.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), 'utf8');

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
    ['Failed to fetch jwks_uri from "https://i.example/.well-known/openid-configuration": status 404, message nope', { issuer: 'https://i.example', url: 'https://i.example/.well-known/openid-configuration', cause: 'status 404, message nope', placeholder: false }],
    ['Failed to get jwks URI from issuer "https://i.example": no such host', { issuer: 'https://i.example', cause: 'no such host', placeholder: false }],
    ['Failed to jwks URI from "https://i.example": no such host', { issuer: 'https://i.example', cause: 'no such host', placeholder: false }],
    ['Failed to fetch public key from jwks URI "https://i.example/k": Get "https://i.example/k": x509: certificate signed by unknown authority', { url: 'https://i.example/k', cause: 'x509: certificate signed by unknown authority', placeholder: false }],
    ['Failed to fetch public key from "https://i.example/k": Get "https://i.example/k": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', { url: 'https://i.example/k', cause: 'context deadline exceeded (Client.Timeout exceeded while awaiting headers)', placeholder: false }],
    ['Failed to GET from "https://i.example/k": status 503, message down. Retry in 1s', { url: 'https://i.example/k', cause: 'status 503, message down', placeholder: false }],
    ['Failed to refresh JWT public key from "https://i.example/k": no such host', { url: 'https://i.example/k', cause: 'no such host', placeholder: false }],
    ['Failed to resolve Jwks from issuer "https://i.example": no such host', { issuer: 'https://i.example', cause: 'no such host', placeholder: false }],
    ['Failed to fetch jwt public key from "https://i.example/k": no such host', { url: 'https://i.example/k', cause: 'no such host', placeholder: true }],
    ['Failed to fetch jwt public key from issuer "https://i.example", jwks uri "https://i.example/k": empty public key found in cache', { issuer: 'https://i.example', url: 'https://i.example/k', cause: 'empty public key found in cache', placeholder: true }],
    ['The JWKS key is not yet fetched for issuer https://i.example (https://i.example/k), using a fake JWKS for now', { issuer: 'https://i.example', url: 'https://i.example/k', placeholder: true }],
    ['JWKS fetch failed for issuer https://i.example (https://i.example/k), using public-only JWKS with discarded private key - JWT requests will be rejected', { issuer: 'https://i.example', url: 'https://i.example/k', placeholder: true }],
    ['Failed to look up Envoy cluster host i.example not found. Please create ServiceEntry to register external JWKs server or set PILOT_JWT_ENABLE_REMOTE_JWKS to hybrid/istiod mode.', { cause: 'no Envoy cluster for the key URL (remote JWKS mode): host i.example not found', placeholder: false }],
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
    // Two discovery failures plus one refresh of the same discovery URL: one group.
    const discovery = dns.find((f) => f.url === 'https://idp.example.com/.well-known/openid-configuration' && !f.placeholder);
    expect(discovery).toMatchObject({ cause: 'dial tcp: lookup idp.example.com on 10.96.0.10:53: no such host', count: 3, time: '2022-03-14T08:16:44.131002Z' });
    expect(dns.some((f) => f.placeholder)).toBe(true);
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
      issuer: 'https://login.example.org/oauth2', count: 2, placeholder: false, time: '2024-08-02T14:04:55.830188Z',
    });
    expect(ev.fetchFailures.find((f) => f.placeholder)).toMatchObject({ issuer: 'https://login.example.org/oauth2' });
    expect(ev.fetchFailures.find((f) => f.cause.includes('remote JWKS mode'))).toMatchObject({ url: 'https://keys.internal.example/jwks' });
  });

  it('1.29.1 (kubectl --timestamps): the public-only placeholder notice', () => {
    const ev = scanIstiodLog(fixture('istiod-1.29.1.log'));
    expect(ev.lines).toBe(5);
    const url = 'https://idp.corp.example/jwks.json';
    expect(ev.fetchFailures.find((f) => f.url === url && !f.placeholder)).toMatchObject({
      issuer: 'https://idp.corp.example', cause: 'x509: certificate signed by unknown authority', count: 3, time: '2026-11-29T10:02:07.201190Z',
    });
    expect(ev.fetchFailures.find((f) => f.url === url && f.placeholder)?.cause).toMatch(/public-only placeholder/);
    expect(ev.ackErrors).toEqual([]);
  });
});
