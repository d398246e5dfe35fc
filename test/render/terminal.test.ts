import type { Report } from '../../src/engine/report.js';
import { renderJson } from '../../src/render/json.js';
import { renderTerminal } from '../../src/render/terminal.js';

const report: Report = {
  version: 1,
  target: { service: 'httpbin', namespace: 'foo', cluster: 'prod' },
  startedAt: '2026-11-29T10:00:00.000Z',
  durationMs: 412,
  verdict: { status: 'fail', checkId: 'issuer.discovery', summary: '404 from https://issuer.example/.well-known/openid-configuration' },
  checks: [
    { id: 'workload.service', status: 'pass', title: 'Service exists', detail: 'Service foo/httpbin exists.' },
    { id: 'issuer.discovery', status: 'fail', subject: 'https://issuer.example', title: 'Discovery opens', detail: '404 from https://issuer.example/.well-known/openid-configuration', fix: 'Set jwksUri.' },
    { id: 'token.format', status: 'skip', title: 'Token format', detail: 'No token given.', fix: 'never shown for skip' },
  ],
  counts: { pass: 1, fail: 1, warn: 0, skip: 1, error: 0 },
};

describe('renderTerminal', () => {
  it('puts the verdict first, then each result with its mark, and indents the fix of failures only', () => {
    const text = renderTerminal(report, { color: false });
    const lines = text.split('\n');
    expect(lines[0]).toBe('jwtcheck · httpbin.foo · cluster prod · 412 ms');
    expect(lines[1]).toBe('❌ FAIL  issuer.discovery: 404 from https://issuer.example/.well-known/openid-configuration');
    expect(text).toContain('❌ issuer.discovery');
    expect(text).toContain('[https://issuer.example]');
    expect(text).toContain('   fix: Set jwksUri.');
    expect(text).not.toContain('never shown for skip');
    expect(text).toContain('1 pass · 1 fail · 0 warn · 1 skip · 0 error');
    expect(text).not.toContain('\u001b[');
  });

  it('uses ANSI colours only when asked', () => {
    expect(renderTerminal(report, { color: true })).toContain('\u001b[31m');
  });
});

describe('renderJson', () => {
  it('is the report as JSON', () => {
    expect(JSON.parse(renderJson(report))).toEqual(report);
  });
});
