import { readFileSync } from 'node:fs';
import { AccessLogParser, parseAccessLogLine, summariseAccessLog } from '../../../src/istio/logs/access-log.js';

const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/logs/${name}`, import.meta.url), 'utf8');

const EXPIRED =
  '[2026-11-29T09:58:01.123Z] "GET /headers HTTP/1.1" 401 - jwt_authn_access_denied{Jwt_is_expired} - "-" 0 14 0 - "10.244.0.1" "curl/8.5.0" "6c1b2a0e-7d3f-4a8b-9e2c-5f6a7b8c9d01" "httpbin.foo:8000" "-" inbound|80|| - 10.244.1.7:80 10.244.0.1:40512 outbound_.8000_._.httpbin.foo.svc.cluster.local default';

describe('parseAccessLogLine', () => {
  it('reads the Istio 1.9+ TEXT format', () => {
    expect(parseAccessLogLine(EXPIRED)).toEqual({
      format: 'text',
      startTime: '2026-11-29T09:58:01.123Z',
      method: 'GET',
      path: '/headers',
      protocol: 'HTTP/1.1',
      code: 401,
      flags: '-',
      details: 'jwt_authn_access_denied{Jwt_is_expired}',
      authority: 'httpbin.foo:8000',
      upstreamCluster: 'inbound|80||',
    });
  });

  it('keeps spaces inside the braces of 1.9–1.10 era details', () => {
    const line = '[2021-03-02T11:20:05.001Z] "GET /headers HTTP/1.1" 403 - jwt_authn_access_denied{Audiences in Jwt are not allowed} - "-" 0 32 0 - "-" "curl/7.68.0" "a1" "httpbin.foo:8000" "-" inbound|8000|| - 10.244.1.7:80 10.244.0.1:40512 outbound_.8000_._.httpbin.foo.svc.cluster.local default';
    const entry = parseAccessLogLine(line);
    expect(entry?.details).toBe('jwt_authn_access_denied{Audiences in Jwt are not allowed}');
    expect(entry?.authority).toBe('httpbin.foo:8000');
  });

  it('strips a kubectl --timestamps prefix', () => {
    const entry = parseAccessLogLine(`2026-11-29T09:58:01.123456789Z ${EXPIRED}`);
    expect(entry?.startTime).toBe('2026-11-29T09:58:01.123Z');
    expect(entry?.details).toBe('jwt_authn_access_denied{Jwt_is_expired}');
  });

  it('reads the 1.8 format (no details), the mixer-era format and the 1.0 sample format', () => {
    const [, , ok18] = fixture('istio-proxy-1.8.log').split('\n');
    expect(parseAccessLogLine(ok18 ?? '')).toMatchObject({ format: 'text-no-details', code: 200 });
    expect(parseAccessLogLine(ok18 ?? '')?.details).toBeUndefined();
    const mixer = fixture('istio-proxy-1.5-mixer.log').split('\n')[2] ?? '';
    expect(parseAccessLogLine(mixer)).toMatchObject({ format: 'text-mixer', code: 403, mixerStatus: 'PERMISSION_DENIED:denyall.denier.foo:Not allowed' });
    const legacy = '[2018-08-01T21:07:55.563Z] "GET /productpage HTTP/1.1" 401 - 0 29 0 - "-" "curl/7.58.0" "1c4b" "productpage.default:9080" "-"';
    expect(parseAccessLogLine(legacy)).toMatchObject({ format: 'text-no-details', code: 401, path: '/productpage' });
  });

  it('reads JSON lines with Istio\'s default keys', () => {
    const line = fixture('istio-proxy-json.log').split('\n')[2] ?? '';
    expect(parseAccessLogLine(line)).toMatchObject({
      format: 'json',
      startTime: '2026-11-29T09:58:01.123Z',
      code: 401,
      details: 'jwt_authn_access_denied{Jwt_verification_fails}',
      upstreamCluster: 'inbound|80||',
    });
  });

  it('does not take Envoy or pilot-agent lines for access lines', () => {
    expect(parseAccessLogLine('[2026-11-29 10:04:02.118][14][warning][config] [external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:155] StreamAggregatedResources gRPC config stream to xds-grpc closed')).toBeUndefined();
    expect(parseAccessLogLine('2026-11-29T09:41:03.018044Z\tinfo\tEnvoy proxy is ready')).toBeUndefined();
    expect(parseAccessLogLine('{"level":"info","msg":"not an access line"}')).toBeUndefined();
  });

  it('redacts a token in the path', () => {
    const line = EXPIRED.replace('/headers', '/headers?access_token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnLXNlY3JldA');
    expect(parseAccessLogLine(line)?.path).toBe('/headers?access_token=[redacted]');
  });
});

describe('AccessLogParser on a realistic istio-proxy log (Istio 1.22)', () => {
  const summary = summariseAccessLog(fixture('istio-proxy-1.22.log'));
  const group = (code: number, reason: string) => summary.denials.find((d) => d.code === code && d.reason === reason);

  it('counts lines, access lines and codes', () => {
    expect(summary.lines).toBe(35);
    expect(summary.accessLines).toBe(19);
    expect(summary.byCode).toEqual({ '200': 6, '401': 6, '403': 6, '503': 1 });
  });

  it('groups JWT rejections by Envoy status, with the last time seen', () => {
    expect(group(401, 'Jwt is expired')).toMatchObject({
      source: 'jwt',
      details: 'jwt_authn_access_denied{Jwt_is_expired}',
      count: 3,
      lastSeen: '2026-11-29T10:02:13.907Z',
    });
    expect(group(401, 'Jwt issuer is not configured')).toMatchObject({ source: 'jwt', count: 2, lastSeen: '2026-11-29T09:59:30.045Z' });
    expect(group(403, 'Audiences in Jwt are not allowed')).toMatchObject({ source: 'jwt', count: 2 });
  });

  it('tells RBAC "no ALLOW policy matched" apart from a DENY rule, naming the policy', () => {
    expect(group(403, 'RBAC: access denied — no ALLOW policy matched')).toMatchObject({ source: 'rbac', count: 3 });
    expect(group(403, 'RBAC: access denied — DENY policy foo/deny-admin rule 0 matched')).toMatchObject({
      source: 'rbac',
      count: 1,
      details: 'rbac_access_denied_matched_policy[ns[foo]-policy[deny-admin]-rule[0]]',
    });
  });

  it('says when the application itself answered 401', () => {
    expect(group(401, 'the application itself answered 401')).toMatchObject({ source: 'upstream', count: 1, details: 'via_upstream' });
  });

  it('orders groups by count and keeps at most 3 redacted samples', () => {
    expect(summary.denials[0]?.count).toBe(3);
    const expired = group(401, 'Jwt is expired');
    expect(expired?.samples).toHaveLength(3);
    const all = JSON.stringify(summary);
    expect(all).not.toContain('c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ');
    expect(expired?.samples[1]).toContain('access_token=[redacted]');
    expect(summary.denials.every((d) => d.samples.length <= 3)).toBe(true);
    expect(summary.denials.some((d) => d.code === 503)).toBe(false);
  });
});

describe('AccessLogParser on other eras', () => {
  it('tells 1.8 denials without details apart by the size of Istio\'s fixed reply bodies', () => {
    const summary = summariseAccessLog(fixture('istio-proxy-1.8.log'));
    expect(summary.accessLines).toBe(4);
    const g401 = summary.denials.filter((d) => d.code === 401);
    expect(g401.map((d) => d.source)).toEqual(['jwt', 'jwt']);
    // 28 bytes is "Jwt issuer is not configured"; 14 bytes fits "Jwt is missing" and "Jwt is expired".
    expect(g401.map((d) => d.reason).join('|')).toMatch(/"Jwt issuer is not configured" \(inferred from the 28-byte body/);
    expect(g401.map((d) => d.reason).join('|')).toMatch(/"Jwt is missing" or "Jwt is expired"/);
    expect(summary.denials.find((d) => d.code === 403)).toMatchObject({ source: 'rbac', details: '-' });
  });

  it('keeps a denial of unknown body size as "other", saying why', () => {
    const line = '[2020-12-03T14:25:40.918Z] "GET /headers HTTP/1.1" 401 - "-" 0 57 0 - "10.244.0.1" "curl/7.68.0" "4a2f" "httpbin.foo:8000" "-" - - 10.244.1.7:80 10.244.0.1:40513 - default';
    const summary = summariseAccessLog(line);
    expect(summary.denials[0]).toMatchObject({ source: 'other', code: 401 });
    expect(summary.denials[0]?.reason).toMatch(/no response details.*1\.8 or older/);
  });

  it('recognises the legacy origin-authentication body of Istio 1.0-1.4 (29 bytes)', () => {
    const line = '[2018-07-26T22:25:41.573Z] "GET /headers HTTP/1.1" 401 - 0 29 0 - "-" "curl/7.35.0" "bd9f" "httpbin.foo:8000" "-"';
    const summary = summariseAccessLog(line);
    expect(summary.denials[0]).toMatchObject({ source: 'jwt', code: 401 });
    expect(summary.denials[0]?.reason).toContain('Origin authentication failed.');
  });

  it('reads JSON logs, including ext_authz denials', () => {
    const summary = summariseAccessLog(fixture('istio-proxy-json.log'));
    expect(summary).toMatchObject({ lines: 6, accessLines: 5, byCode: { '200': 1, '401': 2, '403': 2 } });
    expect(summary.denials.find((d) => d.source === 'jwt')).toMatchObject({ reason: 'Jwt verification fails', count: 2, lastSeen: '2026-11-29T10:01:44.870Z' });
    expect(summary.denials.find((d) => d.source === 'ext_authz')?.reason).toMatch(/external authorizer/);
  });

  it('understands bare details of older Envoys', () => {
    const parser = new AccessLogParser();
    parser.push('[2020-11-02T08:00:00.000Z] "GET / HTTP/1.1" 401 - jwt_authn_access_denied - "-" 0 14 0 - "-" "curl" "r1" "h" "-" inbound|80|| - 1.1.1.1:80 2.2.2.2:1 - default');
    parser.push('[2020-11-02T08:00:01.000Z] "GET / HTTP/1.1" 403 - rbac_access_denied - "-" 0 19 0 - "-" "curl" "r2" "h" "-" inbound|80|| - 1.1.1.1:80 2.2.2.2:1 - default');
    const reasons = parser.summary().denials.map((d) => [d.source, d.reason]);
    expect(reasons).toEqual([
      ['jwt', 'JWT rejected (this Envoy does not say why)'],
      ['rbac', 'RBAC: access denied (this Envoy does not name the policy)'],
    ]);
  });

  it('merges the spaced and underscored spellings of one status', () => {
    const parser = new AccessLogParser();
    parser.push(EXPIRED);
    parser.push(EXPIRED.replace('{Jwt_is_expired}', '{Jwt is expired}').replace('09:58:01.123', '10:30:00.000'));
    const [only, ...rest] = parser.summary().denials;
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ reason: 'Jwt is expired', count: 2, lastSeen: '2026-11-29T10:30:00.000Z' });
  });
});
