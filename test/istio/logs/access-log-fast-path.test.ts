/**
 * The streaming parser reads ordinary TEXT lines without a regex (ordinaryTextHead). That shortcut must never
 * change the answer: over real-format lines of every Istio era, and over random mutations of them, the summary
 * (counts, denial groups, samples, per-minute counts) equals the one the full parser gives.
 */
import fc from 'fast-check';
import { AccessLogParser, ordinaryTextHead, parseAccessLogLine } from '../../../src/istio/logs/access-log.js';

const REAL_LINES = [
  // 1.9+ TEXT with details
  '[2026-11-29T14:04:10.412Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 519 3 2 "-" "curl/8.7.1" "5c0e6d2a" "httpbin.foo:8000" "10.244.0.12:8080" inbound|8080|| 127.0.0.6:51123 10.244.0.12:8080 10.244.0.9:40122 outbound_.8000_._.httpbin.foo.svc.cluster.local default',
  '[2026-11-29T14:04:11.118Z] "GET /headers HTTP/1.1" 401 - jwt_authn_access_denied{Jwt_is_expired} - "-" 0 14 0 - "-" "curl/8.7.1" "5c0e6d2b" "httpbin.foo:8000" "-" inbound|8080|| - 10.244.0.12:8080 10.244.0.9:40122 outbound_.8000_._.httpbin.foo.svc.cluster.local -',
  '[2026-11-29T14:04:12.000Z] "POST /api?access_token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln HTTP/2" 403 - rbac_access_denied_matched_policy[none] - "-" 0 19 0 - "-" "Go-http-client/2.0" "5c0e6d2c" "httpbin.foo:8000" "-" inbound|8080|| - 10.244.0.12:8080 10.244.0.9:40122 - -',
  '[2026-11-29T14:05:00.001Z] "- - -" 0 UF,URX - - "-" 0 0 1000 - "-" "-" "-" "-" "10.244.0.12:8080" inbound|8080|| - 10.244.0.12:8080 10.244.0.9:40122 - -',
  '[2026-11-29T14:05:01.500Z] "GET /status/503 HTTP/1.1" 503 - via_upstream - "-" 0 0 2 1 "-" "curl/8.7.1" "x" "httpbin.foo:8000" "10.244.0.12:8080" inbound|8080|| - - - - default',
  // 1.8 (no details) and 1.2–1.7 (mixer status)
  '[2026-11-29T09:58:01.123Z] "GET /headers HTTP/1.1" 401 - "-" 0 29 0 - "-" "curl/7.58.0" "8b3f1f0e" "httpbin.foo:8000" "-" inbound|8000|http|httpbin.foo.svc.cluster.local - 10.244.1.7:8000 10.244.1.1:40122 - -',
  '[2026-11-29T09:52:13.402Z] "GET /headers HTTP/1.1" 200 - "-" "-" 0 520 3 2 "-" "curl/7.58.0" "6a1e4c0d" "httpbin.foo:8000" "127.0.0.1:80" inbound|8000|http|httpbin.foo.svc.cluster.local - 10.244.1.7:80 10.244.1.1:40122 - -',
  // kubectl --timestamps prefix, JSON, and lines that are not access lines
  '2026-11-29T14:06:00.123456789Z [2026-11-29T14:06:00.100Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 519 3 2 "-" "curl/8.7.1" "x" "httpbin.foo:8000" "10.244.0.12:8080" inbound|8080|| - - - - default',
  '{"start_time":"2026-11-29T14:06:30.000Z","method":"GET","path":"/headers","protocol":"HTTP/1.1","response_code":401,"response_flags":"-","response_code_details":"jwt_authn_access_denied{Jwt_issuer_is_not_configured}"}',
  '[2026-11-29 09:41:07.183][21][info][upstream] external/envoy/source/server/lds_api.cc:80] lds: add/update listener \'10.244.1.7_8000\'',
  '2026-11-29T09:41:02.734128Z\tinfo\txdsproxy\tconnected to delta upstream XDS server: istiod.istio-system.svc:15012\tid=1',
  '[2026-11-29T14:07:00+01:00] "GET / HTTP/1.1" 200 - via_upstream - "-" 0 1 1 1 "-" "-" "-" "-" "-" - - - - - -',
  '',
];

/** The same summary through the full parser only (no shortcut). */
function fullSummary(lines: readonly string[]) {
  const parser = new AccessLogParser();
  for (const line of lines) parser.pushParsed(line, parseAccessLogLine(line));
  return parser.summary();
}
function fastSummary(lines: readonly string[]) {
  const parser = new AccessLogParser();
  for (const line of lines) parser.push(line);
  return parser.summary();
}

describe('access-log parser: the fast path gives the full path\'s summary', () => {
  it('on real-format lines of every era', () => {
    expect(fastSummary(REAL_LINES)).toEqual(fullSummary(REAL_LINES));
    expect(ordinaryTextHead(REAL_LINES[0]!)).toEqual({ startTime: '2026-11-29T14:04:10.412Z', code: 200 });
    expect(ordinaryTextHead(REAL_LINES[1]!)).toBeUndefined(); // refusals always take the full path
  });

  it('on random mutations of them', () => {
    const mutated = fc.tuple(fc.constantFrom(...REAL_LINES), fc.nat(400), fc.nat(3), fc.string({ maxLength: 4 })).map(([line, at, op, text]) => {
      const i = Math.min(at, line.length);
      if (op === 0) return line.slice(0, i) + text + line.slice(i); // insert
      if (op === 1) return line.slice(0, i) + line.slice(i + text.length + 1); // delete
      if (op === 2) return line.slice(0, i) + text + line.slice(i + text.length); // overwrite
      return ` ${line}\r`; // stray whitespace
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...REAL_LINES), mutated), { maxLength: 40 }), (lines) => {
        expect(fastSummary(lines)).toEqual(fullSummary(lines));
      }),
      { numRuns: 400 },
    );
  });
});
