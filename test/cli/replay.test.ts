/**
 * Offline replay that tells the truth (issue 11): a snapshot's capturedAt is the instant token times are
 * judged at, so the demo says the same thing every day; `decode` reads a token from a file path too.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/capture-io.js';
import { REPO_ROOT, expectReportV1 } from './fixtures/support.js';

const DEMO = join(REPO_ROOT, 'examples', 'seed-httpbin-foo');

describe('offline replay at the snapshot’s capture time', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-replay-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('the demo judges the token at capturedAt: the same words whatever today is', async () => {
    const run = await runCli(['demo', '-o', 'json'], { env: {} });
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'demo' }) as unknown as { judgedAt: string; checks: { id: string; detail: string }[] };
    expect(report.judgedAt).toBe('2026-11-29T10:05:00.000Z');
    expect(report.checks.find((c) => c.id === 'token.time')?.detail).toMatch(/^expired 1 d 19 h ago at 2026-11-27T15:03:11Z/);
  });

  it('--files on the example folder gives the demo’s result: its logs, its snapshot time', async () => {
    const args = ['diagnose', 'httpbin', 'foo', '--files', DEMO, '--issuer-recording', join(DEMO, 'issuer-recording.yaml'), '--token-file', join(DEMO, 'token.jwt')];
    const run = await runCli(args, { env: {} });
    expect(run.stderr).toContain("jwtcheck: log istio-pilot-discovery.log → istiod's log");
    expect(run.stdout).toMatch(/times judged at 2026-11-29T10:05:00.000Z/);
    expect(run.stdout).toMatch(/15 pass · 2 fail · 0 warn · 5 skip · 0 error/);
    expect(run.code).toBe(1);
  });

  it('without a snapshot record, times are judged now; a bad capturedAt is a usage error in one sentence', async () => {
    for (const f of ['cluster.yaml', 'httpbin.istio-proxy.log']) cpSync(join(DEMO, f), join(dir, f));
    const now = await runCli(['diagnose', 'httpbin', 'foo', '--files', dir, '-o', 'json', '--token-file', join(DEMO, 'token.jwt')], { env: {} });
    expect(JSON.parse(now.stdout)).not.toHaveProperty('judgedAt');
    writeFileSync(join(dir, 'snapshot.yaml'), 'apiVersion: jwtcheck.io/v1\nkind: Snapshot\nmetadata: {name: x}\ncapturedAt: yesterday\n');
    const bad = await runCli(['diagnose', 'httpbin', 'foo', '--files', dir], { env: {} });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Snapshot x has no valid capturedAt: write it as an RFC 3339 time/);
  });
});

describe('decode from a file', () => {
  it('a path to a token file is read, not decoded as text', async () => {
    const run = await runCli(['decode', join(DEMO, 'token.jwt')], { env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Token fingerprint: d553318b51c1');
  });

  it('a path that does not exist says so in one sentence', async () => {
    const run = await runCli(['decode', '/nonexistent/token.jwt'], { env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('jwtcheck: /nonexistent/token.jwt is neither a token nor a file that exists: check the path.\n');
  });
});
