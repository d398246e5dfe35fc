import { redactLine } from '../../src/lib/redact.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIn0.c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ';

describe('redactLine', () => {
  it('masks a JWT inside an access-log path and keeps the rest of the line', () => {
    const line = `[2026-11-29T09:58:44.510Z] "GET /headers?access_token=${JWT}&x=1 HTTP/1.1" 401 - jwt_authn_access_denied{Jwt_is_expired} - "-" 0 14 0 -`;
    const out = redactLine(line);
    expect(out).not.toContain('c2lnbmF0dXJlLXNlY3JldC12YWx1ZQ');
    expect(out).not.toContain('eyJhbGci');
    expect(out).toContain('access_token=[redacted]&x=1');
    expect(out).toContain('jwt_authn_access_denied{Jwt_is_expired}');
  });

  it('masks Bearer values in any case and Basic credentials', () => {
    expect(redactLine('authorization: Bearer abc.def.ghi')).toBe('authorization: Bearer [redacted]');
    expect(redactLine('"authorization":"bearer opaque-123"')).toBe('"authorization":"bearer [redacted]"');
    expect(redactLine('Authorization: Basic dXNlcjpwYXNz')).toBe('Authorization: Basic [redacted]');
  });

  it('masks a bare JWT and other token query parameters', () => {
    expect(redactLine(`token ${JWT} end`)).toBe('token [jwt redacted] end');
    expect(redactLine('/cb?id_token=abc123&state=s')).toBe('/cb?id_token=[redacted]&state=s');
  });

  it('leaves ordinary lines alone', () => {
    const line = '[2026-11-29T09:55:12.004Z] "GET /headers HTTP/1.1" 200 - via_upstream - "-" 0 519 4 3 "10.244.0.1" "curl/8.5.0"';
    expect(redactLine(line)).toBe(line);
  });
});
