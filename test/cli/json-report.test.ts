/**
 * `diagnose --json` is the DESIGN §4 report, version 1: against the fake API server (live path, through
 * a kubeconfig) and against `--files` (offline path).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/capture-io.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer } from '../support/oidc-issuer.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import { OFFLINE_DIR, OFFLINE_LOG_401, OFFLINE_YAML, expectNoStackTrace, expectReportV1, liveCluster, statusOf } from './fixtures/support.js';

describe('diagnose --json against the fake Kubernetes API', () => {
  let dir: string;
  let api: KubeApiServer;
  let issuer: TestIssuer;
  let kubeconfig: string;
  const savedKubeconfig = process.env['KUBECONFIG'];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-json-'));
    issuer = await startIssuer();
    api = await startKubeApiServer(liveCluster(issuer.issuer));
    kubeconfig = api.writeKubeconfig(dir);
    // The contract is io.env (asserted in exit-codes.test.ts); process.env is set as well so this file tests
    // the report shape even while the live source still reads process.env (see the report to the lead).
    process.env['KUBECONFIG'] = kubeconfig;
  });
  afterAll(async () => {
    if (savedKubeconfig === undefined) delete process.env['KUBECONFIG'];
    else process.env['KUBECONFIG'] = savedKubeconfig;
    await api.close();
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a token: a §4 report, every catalogue id in order, cluster = kube context', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json'], { env: { KUBECONFIG: kubeconfig } });
    expectNoStackTrace(run.stderr);
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'test' });
    expect(statusOf(report, 'workload.service')).toEqual(['pass']);
    expect(statusOf(report, 'workload.pods')).toEqual(['pass']);
    expect(statusOf(report, 'policy.jwt-rules')).toEqual(['pass']);
    // Discovery was fetched from the issuer the policy names.
    expect(statusOf(report, 'issuer.discovery')).toEqual(['pass']);
    expect(statusOf(report, 'issuer.jwks')).toEqual(['pass']);
    expect(statusOf(report, 'token.format')).toEqual(['skip']);
    expect(run.code).toBe(report.counts['fail']! > 0 ? 1 : 0);
  });

  it('with a good token signed by the issuer: token checks pass and the fingerprint is reported, not the token', async () => {
    const token = await issuer.sign({ sub: 'alice', aud: 'httpbin' });
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--token', token], { env: { KUBECONFIG: kubeconfig } });
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'test' });
    for (const id of ['token.format', 'token.issuer', 'token.time', 'token.signature']) {
      expect({ id, status: statusOf(report, id) }).toEqual({ id, status: ['pass'] });
    }
    expect(run.stdout).not.toContain(token);
    expect(run.code).toBe(report.counts['fail']! > 0 ? 1 : 0);
  });

  it('with an expired token: the verdict is token.time fail and the exit code is 1', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.sign({ sub: 'alice', iat: now - 7200, exp: now - 3600 });
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--token', token], { env: { KUBECONFIG: kubeconfig } });
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
    expect(report.verdict).toMatchObject({ status: 'fail', checkId: 'token.time' });
    expect(report.verdict.summary).toMatch(/expired/);
    expect(run.code).toBe(1);
  });

  it('a missing Service: workload.service fails with the near names, still a full §4 report', async () => {
    const run = await runCli(['diagnose', 'httpbim', 'foo', '--json'], { env: { KUBECONFIG: kubeconfig } });
    const report = expectReportV1(run.stdout, { service: 'httpbim', namespace: 'foo' });
    expect(report.verdict).toMatchObject({ status: 'fail', checkId: 'workload.service' });
    expect(report.checks.find((c) => c.id === 'workload.service')?.detail).toMatch(/httpbin/);
    expect(run.code).toBe(1);
  });
});

describe('diagnose --json --files (offline)', () => {
  it('is a §4 report with cluster "snapshot"', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--files', ...OFFLINE_YAML, '--logs', OFFLINE_LOG_401], { env: {} });
    // stdout is the report only; which file became which log is said on stderr.
    expect(run.stderr).toMatch(/^jwtcheck: log httpbin\.istio-proxy\.log → /);
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'snapshot' });
    expect(report.verdict).toMatchObject({ status: 'fail', checkId: 'proxy.responses' });
    expect(run.code).toBe(1);
  });

  it('a folder gives the same checks as its files one by one (its .log files as --logs)', async () => {
    const logs = ['httpbin.istio-proxy.clean.log', 'httpbin.istio-proxy.log'].map((f) => join(OFFLINE_DIR, f));
    const byFiles = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--files', ...OFFLINE_YAML, '--logs', ...logs], { env: {} });
    const byFolder = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--files', `${OFFLINE_DIR}/`], { env: {} });
    const strip = (json: string) =>
      expectReportV1(json, { service: 'httpbin', namespace: 'foo' }).checks.map((c) => [c.id, c.status, c.detail]);
    expect(strip(byFolder.stdout)).toEqual(strip(byFiles.stdout));
    expect(byFolder.code).toBe(byFiles.code);
    expect(byFolder.stderr).toBe(byFiles.stderr);
  });
});
