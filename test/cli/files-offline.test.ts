/**
 * `diagnose --files` offline: Service/Deployment/RequestAuthentication YAML and a saved istio-proxy log,
 * no cluster. Files given one by one or as a folder; pods come from the Deployment's template.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/capture-io.js';
import { OFFLINE_DIR, OFFLINE_LOG_401, expectNoStackTrace, expectReportV1, statusOf } from './fixtures/support.js';

describe('diagnose --files (offline)', () => {
  let dir: string;
  beforeAll(() => {
    // A temp folder holding only what a user would save: three manifests and one proxy log.
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-files-'));
    for (const f of ['service.yaml', 'deployment.yaml', 'request-authentication.yaml']) cpSync(join(OFFLINE_DIR, f), join(dir, f));
    cpSync(OFFLINE_LOG_401, join(dir, 'httpbin.istio-proxy.log'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the report from the files: service, template pod, policy, inline keys, proxy log', async () => {
    const run = await runCli(
      ['diagnose', 'httpbin', 'foo', '--json', '--files', join(dir, 'service.yaml'), join(dir, 'deployment.yaml'), join(dir, 'request-authentication.yaml'), '--logs', join(dir, 'httpbin.istio-proxy.log')],
      { env: {} },
    );
    expect(run.stderr).toBe('jwtcheck: log httpbin.istio-proxy.log → the istio-proxy log of every pod (no pod of that name)\n');
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'snapshot' });
    const byId = (id: string) => report.checks.find((c) => c.id === id);
    expect(byId('workload.service')).toMatchObject({ status: 'pass' });
    expect(byId('workload.service')?.detail).toContain('foo/httpbin');
    // Only a Deployment: the pod is made from its template, and the check says so.
    expect(byId('workload.pods')?.detail).toMatch(/template/);
    expect(byId('workload.pods')?.detail).toContain('Deployment/httpbin');
    expect(byId('workload.sidecar')).toMatchObject({ status: 'pass' });
    expect(byId('policy.jwt-rules')).toMatchObject({ status: 'pass' });
    expect(byId('policy.jwt-rules')?.detail).toContain('foo/httpbin-jwt');
    expect(byId('issuer.jwks')).toMatchObject({ status: 'pass' });
    expect(byId('issuer.jwks')?.detail).toContain('cli-fixture-1');
    // From the saved log: the two 401 "Jwt is expired".
    expect(byId('proxy.responses')).toMatchObject({ status: 'fail' });
    expect(byId('proxy.responses')?.detail).toMatch(/2× 401/);
    expect(byId('proxy.responses')?.detail).toMatch(/Jwt is expired/);
    expect(run.code).toBe(1);
  });

  it('--files <folder>/ reads every YAML in it and its .log file, and says which log that became', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', `${dir}/`], { env: {} });
    expect(run.stderr).toBe('jwtcheck: log httpbin.istio-proxy.log → the istio-proxy log of every pod (no pod of that name)\n');
    expect(run.stdout).toContain('httpbin.foo');
    expect(run.stdout).toMatch(/workload\.pods[^\n]*\n[^\n]*template/);
    expect(run.stdout).toMatch(/✅ policy\.jwt-rules/);
    // The folder's log is read as --logs would read it: its two 401s fail proxy.responses.
    expect(run.stdout).toMatch(/FAIL\s+proxy\.responses/);
    expect(run.stdout).toMatch(/Jwt is expired/);
    expect(run.code).toBe(1);
  });

  it('a log named by --logs that the folder also holds is read once', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--files', dir, '--logs', join(dir, 'httpbin.istio-proxy.log')], { env: {} });
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' });
    expect(report.checks.find((c) => c.id === 'proxy.responses')?.detail).toMatch(/2× 401/);
  });

  it('--files <folder> --logs <file> in the terminal renderer: the verdict is proxy.responses', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', dir, '--logs', join(dir, 'httpbin.istio-proxy.log')], { env: {} });
    expect(run.stdout).toMatch(/FAIL\s+proxy\.responses/);
    expect(run.code).toBe(1);
  });

  it('a wrong namespace fails workload.service (exit 1), not a crash', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'bar', '--json', '--files', dir], { env: {} });
    const report = expectReportV1(run.stdout, { service: 'httpbin', namespace: 'bar' });
    expect(statusOf(report, 'workload.service')).toEqual(['fail']);
    expect(run.code).toBe(1);
  });

  it('a folder with no YAML is a usage error (2) in one sentence', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-empty-'));
    try {
      writeFileSync(join(empty, 'notes.txt'), 'nothing here');
      const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', empty], { env: {} });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/holds no \.yaml, \.yml or \.json file/);
      expectNoStackTrace(run.stderr);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('a YAML file that does not parse ends in a sentence naming the file (exit 2 or 3), no stack trace', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-bad-'));
    try {
      writeFileSync(join(bad, 'broken.yaml'), 'kind: Service\nmetadata: {name: [unclosed\n');
      const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', join(bad, 'broken.yaml')], { env: {} });
      expect([2, 3]).toContain(run.code);
      expect(run.stderr).toContain('broken.yaml');
      expectNoStackTrace(run.stderr);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });
});
