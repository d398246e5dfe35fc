/**
 * DESIGN §5 exit codes through `main(argv, io)`: 0 nothing failed, 1 a check failed, 2 usage error,
 * 3 the diagnosis could not run. Every error is one sentence on stderr, never a stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/capture-io.js';
import { freePort } from '../support/free-port.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import {
  OFFLINE_LOG_401,
  OFFLINE_LOG_CLEAN,
  OFFLINE_YAML,
  expectNoStackTrace,
  liveCluster,
} from './fixtures/support.js';

/** The first line of stderr: the sentence the user reads. */
const firstLine = (stderr: string): string => stderr.split('\n')[0] ?? '';

describe('exit code 2: usage errors', () => {
  const cases: [string, string[], RegExp][] = [
    ['diagnose with no arguments', ['diagnose'], /needs a service/],
    ['two different namespaces', ['diagnose', 'httpbin.foo', '-n', 'bar'], /Two namespaces given \(foo and bar\)/],
    ['an unknown short flag', ['diagnose', 'httpbin', '-x'], /Unknown option "-x" for "diagnose"/],
    ['-o with an unknown format', ['diagnose', 'httpbin', 'foo', '-o', 'wide'], /--output must be one of text, json, yaml, not "wide"/],
    ['--json with -o yaml', ['demo', '--json', '-o', 'yaml'], /--json and -o yaml disagree/],
    ['completion for an unknown shell', ['completion', 'powershell'], /"completion" takes one shell: bash, zsh or fish/],
    ['an upper-case service name', ['diagnose', 'HTTPBIN', 'foo'], /"HTTPBIN" is not a valid service name/],
    ['an invalid namespace name', ['diagnose', 'httpbin', 'Foo_Bar'], /"Foo_Bar" is not a valid namespace name/],
    ['an unknown flag', ['diagnose', 'httpbin', 'foo', '--bogus'], /Unknown option "--bogus"/],
    ['--token with --token-file', ['diagnose', 'httpbin', 'foo', '--token', 'a.b.c', '--token-file', '/tmp/t'], /either --token or --token-file/],
    ['--logs without --files', ['diagnose', 'httpbin', 'foo', '--logs', 'proxy.log'], /--logs goes with --files/],
    ['--log-lines abc', ['diagnose', 'httpbin', 'foo', '--log-lines', 'abc'], /--log-lines must be a whole number/],
    ['--log-lines -1', ['diagnose', 'httpbin', 'foo', '--log-lines=-1'], /--log-lines must be a whole number/],
    ['an extra positional', ['diagnose', 'httpbin', 'foo', 'bar'], /Unexpected argument "bar"/],
    ['an unknown command', ['frobnicate'], /Unknown command "frobnicate"/],
    ['demo with an argument', ['demo', 'extra'], /"demo" takes no arguments/],
    ['decode with two tokens', ['decode', 'a.b.c', 'd.e.f'], /"decode" takes one token/],
  ];

  it.each(cases)('%s → 2 with one clear sentence and the usage', async (_name, argv, sentence) => {
    const run = await runCli(argv, { env: {} });
    expect(run.code).toBe(2);
    expect(firstLine(run.stderr)).toMatch(sentence);
    expect(firstLine(run.stderr)).toMatch(/[.:]$/);
    expect(run.stderr).toContain('Usage:');
    expect(run.stdout).toBe('');
    expectNoStackTrace(run.stderr);
  });

  it('a --files path that does not exist is a usage error naming the path', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', '/nonexistent/jwtcheck/cluster.yaml'], { env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('/nonexistent/jwtcheck/cluster.yaml does not exist');
    expectNoStackTrace(run.stderr);
  });

  it('a --token-file that does not exist is a usage error naming the file', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', ...OFFLINE_YAML, '--token-file', '/nonexistent/token.jwt'], { env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Token file \/nonexistent\/token\.jwt does not exist/);
    expectNoStackTrace(run.stderr);
  });
});

describe('exit codes 0 and 1 from an offline diagnosis', () => {
  it('0 when no check failed (a warning is not a failure)', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', ...OFFLINE_YAML, '--logs', OFFLINE_LOG_CLEAN], { env: {} });
    expect(run.stderr).toBe('jwtcheck: log httpbin.istio-proxy.clean.log → the istio-proxy log of every pod (no pod of that name)\n');
    expect(run.stdout).toMatch(/0 fail/);
    expect(run.stdout).toMatch(/policy\.require-token/);
    expect(run.code).toBe(0);
  });

  it('1 when a check failed (401 "Jwt is expired" in the proxy log)', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', ...OFFLINE_YAML, '--logs', OFFLINE_LOG_401], { env: {} });
    expect(run.stdout).toMatch(/proxy\.responses/);
    expect(run.stdout).toMatch(/Jwt is expired/);
    expect(run.code).toBe(1);
  });

  it('1 with --json too (the exit code does not depend on the renderer)', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--json', '--files', ...OFFLINE_YAML, '--logs', OFFLINE_LOG_401], { env: {} });
    expect((JSON.parse(run.stdout) as { verdict: { status: string } }).verdict.status).toBe('fail');
    expect(run.code).toBe(1);
  });
});

describe('exit code 3: the diagnosis could not run', () => {
  let dir: string;
  let api: KubeApiServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-exit-'));
    api = await startKubeApiServer(liveCluster('https://issuer.example'));
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('cluster unreachable (kubeconfig pointing at a closed port) → 3, and stderr says so in one sentence', async () => {
    const port = await freePort();
    const kubeconfig = join(dir, 'closed.yaml');
    writeFileSync(kubeconfig, api.kubeconfigYaml.replace(api.url, `http://127.0.0.1:${port}`));
    const run = await runCli(['diagnose', 'httpbin', 'foo'], { env: { KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(3);
    expectNoStackTrace(run.stdout + run.stderr);
    // DESIGN §5/§8: the user learns why nothing was diagnosed, on stderr (stdout may hold the report).
    expect(run.stderr).toMatch(/127\.0\.0\.1:\d+/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a --context that the kubeconfig does not have → 3, naming the context and the ones that exist', async () => {
    const kubeconfig = api.writeKubeconfig(dir);
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--context', 'no-such-context'], { env: { KUBECONFIG: kubeconfig } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/No context "no-such-context" in your kubeconfig; contexts: test\./);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
    expectNoStackTrace(run.stderr);
  });

  it('KUBECONFIG pointing at a missing file → 3, naming that file', async () => {
    const missing = join(dir, 'does-not-exist.yaml');
    const run = await runCli(['diagnose', 'httpbin', 'foo'], { env: { KUBECONFIG: missing } });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(missing);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stdout).toBe('');
    expectNoStackTrace(run.stderr);
  });

  it('an invalid JWTCHECK_LOG_LINES is reported, not thrown', async () => {
    const run = await runCli(['diagnose', 'httpbin', 'foo', '--files', ...OFFLINE_YAML], { env: { JWTCHECK_LOG_LINES: 'lots' } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/JWTCHECK_LOG_LINES must be a whole number/);
    expectNoStackTrace(run.stderr);
  });
});
