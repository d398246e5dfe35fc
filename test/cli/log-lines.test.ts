/**
 * `--log-lines N` bounds the istio-proxy log read: the API server receives tailLines=N (and a byte cap);
 * JWTCHECK_LOG_LINES is the default; 0 reads no logs at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/capture-io.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer, RecordedKubeRequest } from '../support/kube-api-server.js';
import { PROXY_POD, expectReportV1, liveCluster } from './fixtures/support.js';

const proxyLogReads = (requests: RecordedKubeRequest[]): RecordedKubeRequest[] =>
  requests.filter((r) => r.resource === 'pods/log' && r.query['container'] === 'istio-proxy');

describe('--log-lines', () => {
  let dir: string;
  let api: KubeApiServer;
  let kubeconfig: string;
  const savedKubeconfig = process.env['KUBECONFIG'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-loglines-'));
    // The issuer is unreachable on purpose: only the Kubernetes requests matter here.
    api = await startKubeApiServer(liveCluster('http://127.0.0.1:1/realms/none'));
    kubeconfig = api.writeKubeconfig(dir);
    // See json-report.test.ts: io.env is the contract; process.env as well until the live source honours it.
    process.env['KUBECONFIG'] = kubeconfig;
  });
  afterAll(async () => {
    if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
    else process.env['KUBECONFIG'] = savedKubeconfig;
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    api.requests.length = 0;
  });

  it('--log-lines 7 → the istio-proxy log is read with tailLines=7 and a limitBytes cap', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--log-lines', '7'], { env: { KUBECONFIG: kubeconfig } });
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
    const reads = proxyLogReads(api.requests);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((r) => r.path)).toEqual(reads.map(() => `/api/v1/namespaces/foo/pods/${PROXY_POD}/log`));
    for (const r of reads) {
      expect(r.query['tailLines']).toBe('7');
      expect(Number(r.query['limitBytes'])).toBeGreaterThan(0);
    }
    // The proxy saw 7 lines, all 200s.
    expect(report.checks.find((c) => c.id === 'proxy.responses')?.detail).toMatch(/\b7 requests\b/);
  });

  it('--log-lines=3 (inline value) works the same way', async () => {
    await runCli(['diagnose', 'httpbin', 'foo', '--json', '--log-lines=3'], { env: { KUBECONFIG: kubeconfig } });
    const reads = proxyLogReads(api.requests);
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((r) => r.query['tailLines'] === '3')).toBe(true);
  });

  it('JWTCHECK_LOG_LINES is the default when the flag is absent, and the flag wins over it', async () => {
    await runCli(['diagnose', 'httpbin', 'foo', '--json'], { env: { KUBECONFIG: kubeconfig, JWTCHECK_LOG_LINES: '12' } });
    expect(proxyLogReads(api.requests).map((r) => r.query['tailLines'])).toEqual(['12']);
    api.requests.length = 0;
    await runCli(['diagnose', 'httpbin', 'foo', '--json', '--log-lines', '5'], { env: { KUBECONFIG: kubeconfig, JWTCHECK_LOG_LINES: '12' } });
    expect(proxyLogReads(api.requests).map((r) => r.query['tailLines'])).toEqual(['5']);
  });

  it('without flag or variable the tail is the documented default, 500', async () => {
    await runCli(['diagnose', 'httpbin', 'foo', '--json'], { env: { KUBECONFIG: kubeconfig } });
    expect(proxyLogReads(api.requests).map((r) => r.query['tailLines'])).toEqual(['500']);
  });

  it('--log-lines 0 reads no pod log at all', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--log-lines', '0'], { env: { KUBECONFIG: kubeconfig } });
    expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
    expect(api.requests.filter((r) => r.resource === 'pods/log')).toEqual([]);
  });

  it('every Kubernetes request is a read (DESIGN §8)', async () => {
    await runCli(['diagnose', 'httpbin', 'foo', '--json', '--log-lines', '7'], { env: { KUBECONFIG: kubeconfig } });
    expect(api.requests.length).toBeGreaterThan(0);
    expect(api.requests.every((r) => r.method === 'GET' && (r.verb === 'get' || r.verb === 'list'))).toBe(true);
  });
});
