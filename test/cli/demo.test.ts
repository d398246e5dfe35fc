/**
 * `jwtcheck demo`: the bundled seed case (httpbin in foo) with no cluster, Slack, Redis or network.
 * The demo token is expired, so the verdict is token.time fail; the demo itself exits 0.
 */
import { runCli } from '../support/capture-io.js';
import { expectNoStackTrace, expectReportV1, statusOf } from './fixtures/support.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './fixtures/support.js';

const DEMO_TOKEN = readFileSync(join(REPO_ROOT, 'examples', 'seed-httpbin-foo', 'token.jwt'), 'utf8').trim();

describe('demo', () => {
  it('exits 0, names httpbin.foo and shows the verdict: token.time fails (expired)', async () => {
    const run = await runCli(['demo'], { env: {} });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('httpbin.foo');
    expect(run.stdout).toMatch(/FAIL\s+token\.time: expired .* ago/);
    expect(run.stdout).toMatch(/\d+ pass · \d+ fail · \d+ warn · \d+ skip · \d+ error/);
    expectNoStackTrace(run.stdout);
  });

  it('--json is a valid §4 report with the token.time verdict', async () => {
    const run = await runCli(['demo', '--json'], { env: {} });
    expect(run.code).toBe(0);
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'demo' });
    expect(report.verdict).toMatchObject({ status: 'fail', checkId: 'token.time' });
    expect(report.verdict.summary).toMatch(/expired/);
    expect(statusOf(report, 'token.signature')).toEqual(['pass']);
  });

  it('never prints the demo token or its signature', async () => {
    const signature = DEMO_TOKEN.split('.')[2] ?? '';
    const payload = DEMO_TOKEN.split('.')[1] ?? '';
    for (const argv of [['demo'], ['demo', '--json']]) {
      const run = await runCli(argv, { env: {} });
      expect(run.stdout + run.stderr).not.toContain(signature.slice(0, 16));
      expect(run.stdout + run.stderr).not.toContain(payload.slice(0, 24));
    }
  });

  it('ignores a KUBECONFIG / REDIS_URL in the environment (no cluster or Redis is contacted)', async () => {
    const run = await runCli(['demo', '--json'], {
      env: { KUBECONFIG: '/nonexistent/kubeconfig', REDIS_URL: 'redis://127.0.0.1:1' },
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ target: { cluster: 'demo' } });
  });
});
