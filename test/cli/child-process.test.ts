/**
 * The real entry point as a child process (`node --import tsx src/cli.ts …`): the process exits with the
 * code `main` returns and prints to its own streams. Slow (a Node start each), so only a few cases.
 * The env is PATH and HOME only (plus what a case adds): no KUBECONFIG, REDIS_URL or NODE_OPTIONS.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/free-port.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import {
  OFFLINE_DIR,
  OFFLINE_LOG_401,
  OFFLINE_LOG_CLEAN,
  OFFLINE_YAML,
  expectNoStackTrace,
  expectReportV1,
  liveCluster,
  minimalEnv,
  runChild,
} from './fixtures/support.js';

const SLOW_MS = 60_000;

describe('jwtcheck as a child process', () => {
  it('demo: exit 0, names httpbin.foo, token.time fails, with no network configuration at all', async () => {
    const run = await runChild(['demo'], minimalEnv());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('httpbin.foo');
    expect(run.stdout).toMatch(/FAIL\s+token\.time/);
  }, SLOW_MS);

  it('demo --json: a valid §4 report on stdout', async () => {
    const run = await runChild(['demo', '--json'], minimalEnv());
    expect(run.code).toBe(0);
    expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'demo' });
  }, SLOW_MS);

  it('diagnose --files with a failing check: exit 1', async () => {
    const run = await runChild(['diagnose', 'httpbin', 'foo', '--files', OFFLINE_DIR, '--logs', OFFLINE_LOG_401], minimalEnv());
    expect(run.stdout).toMatch(/FAIL\s+proxy\.responses/);
    expect(run.code).toBe(1);
  }, SLOW_MS);

  it('diagnose --files --json with nothing failing: exit 0', async () => {
    const run = await runChild(['diagnose', 'httpbin', 'foo', '--json', '--files', ...OFFLINE_YAML, '--logs', OFFLINE_LOG_CLEAN], minimalEnv());
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'snapshot' });
    expect(report.counts['fail']).toBe(0);
    expect(run.code).toBe(0);
  }, SLOW_MS);

  it('a usage error: exit 2, one sentence and the usage on stderr', async () => {
    const run = await runChild(['diagnose', 'HTTPBIN', 'foo'], minimalEnv());
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.split('\n')[0]).toMatch(/"HTTPBIN" is not a valid service name/);
    expectNoStackTrace(run.stderr);
  }, SLOW_MS);

  describe('live, through the KUBECONFIG environment variable', () => {
    let dir: string;
    let api: KubeApiServer;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-child-'));
      api = await startKubeApiServer(liveCluster('http://127.0.0.1:1/realms/none'));
    });
    afterAll(async () => {
      await api.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('KUBECONFIG pointing at the fake API server: a §4 report for cluster "test", the server was read', async () => {
      const run = await runChild(['diagnose', 'httpbin', 'foo', '--json', '--log-lines', '4'], minimalEnv({ KUBECONFIG: api.writeKubeconfig(dir) }));
      const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'test' });
      expect(report.checks.find((c) => c.id === 'workload.service')?.status).toBe('pass');
      expect(api.requests.some((r) => r.resource === 'pods/log' && r.query['tailLines'] === '4')).toBe(true);
      // The policy's issuer (port 1) is unreachable: an error result, so a fail or 0/1 exit, never 3.
      expect([0, 1]).toContain(run.code);
    }, SLOW_MS);

    it('KUBECONFIG pointing at a closed port: exit 3 and a sentence on stderr naming the API server', async () => {
      const port = await freePort();
      const kubeconfig = join(dir, 'closed.yaml');
      writeFileSync(kubeconfig, api.kubeconfigYaml.replace(api.url, `http://127.0.0.1:${port}`));
      const run = await runChild(['diagnose', 'httpbin', 'foo'], minimalEnv({ KUBECONFIG: kubeconfig }));
      expect(run.code).toBe(3);
      expectNoStackTrace(run.stdout + run.stderr);
      expect(run.stderr).toContain(`127.0.0.1:${port}`);
    }, SLOW_MS);

    it('KUBECONFIG pointing at a missing file: exit 3, naming the file', async () => {
      const missing = join(dir, 'missing.yaml');
      const run = await runChild(['diagnose', 'httpbin', 'foo'], minimalEnv({ KUBECONFIG: missing }));
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(missing);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expectNoStackTrace(run.stderr);
    }, SLOW_MS);
  });
});
