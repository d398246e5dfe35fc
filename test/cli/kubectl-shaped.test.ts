/**
 * Issue 11: the flags kubectl users type. Every subcommand's -h/--help (exit 0, every option, an example),
 * -n/--namespace defaulting to the kube context's namespace, --kubeconfig, --context, -o text|json|yaml,
 * `svc.ns` and `ns/svc`, `--`, and the kubectl plugin (through the real kubectl when it is installed).
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { COMMANDS } from '../../src/cli/commands.js';
import { pluginArgv } from '../../src/cli/plugin-argv.js';
import { runCli } from '../support/capture-io.js';
import { startKubeApiServer } from '../support/kube-api-server.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import { REPO_ROOT, expectReportV1, liveCluster } from './fixtures/support.js';

describe('per-subcommand help', () => {
  it.each(COMMANDS.map((c) => [c.name]))('%s --help and -h: exit 0, every option and an example on stdout', async (name) => {
    const spec = COMMANDS.find((c) => c.name === name);
    for (const flag of ['--help', '-h']) {
      const run = await runCli([name, flag], { env: {} });
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      for (const o of spec?.options ?? []) expect(run.stdout).toContain(`--${o.long}`);
      expect(run.stdout).toMatch(/Examples:\n {2}(jwtcheck|source|SLACK|REDIS|pbpaste)/);
    }
  });

  it('diagnose --help lists --issuer-recording, -n, -o and the exit codes; help diagnose is the same text', async () => {
    const run = await runCli(['diagnose', '--help'], { env: {} });
    expect(run.stdout).toMatch(/-n, --namespace NAME/);
    expect(run.stdout).toMatch(/-o, --output FORMAT/);
    expect(run.stdout).toContain('--issuer-recording FILE');
    expect(run.stdout).toMatch(/Exit codes: 0 .*1 .*2 .*3 /);
    expect((await runCli(['help', 'diagnose'], { env: {} })).stdout).toBe(run.stdout);
  });
});

describe('kubectl-shaped targets and output', () => {
  let dir: string;
  let api: KubeApiServer;
  let kubeconfig: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jwtcheck-cli-kubectl-'));
    api = await startKubeApiServer(liveCluster('http://127.0.0.1:1/realms/none'));
    // The context's namespace is foo, as after `kubectl config set-context --current --namespace foo`.
    kubeconfig = join(dir, 'kubeconfig-foo.yaml');
    writeFileSync(kubeconfig, api.kubeconfigYaml.replace('    namespace: default', '    namespace: foo'));
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const target = async (argv: string[]) => {
    const run = await runCli([...argv, '--json', '--log-lines', '1'], { env: {} });
    return expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo' }).target;
  };

  it('-n, --namespace=, svc.ns, ns/svc and the context namespace name the same Service', async () => {
    const k = ['--kubeconfig', kubeconfig];
    expect(await target(['diagnose', 'httpbin', '-n', 'foo', ...k])).toMatchObject({ service: 'httpbin', namespace: 'foo', cluster: 'test' });
    expect(await target(['diagnose', 'httpbin', '--namespace=foo', ...k])).toMatchObject({ namespace: 'foo' });
    expect(await target(['diagnose', 'httpbin.foo', ...k])).toMatchObject({ namespace: 'foo' });
    expect(await target(['diagnose', 'foo/httpbin', ...k])).toMatchObject({ namespace: 'foo' });
    // No namespace given: the kube context's (foo), as kubectl does.
    expect(await target(['diagnose', 'httpbin', ...k])).toMatchObject({ namespace: 'foo' });
  });

  it('--kubeconfig wins over KUBECONFIG', async () => {
    const run = await runCli(['diagnose', 'httpbin', '--kubeconfig', kubeconfig, '-o', 'json'], { env: { KUBECONFIG: '/nonexistent/kubeconfig' } });
    expect(expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'test' }).checks.length).toBeGreaterThan(0);
  });

  it('-o yaml is the same report as -o json', async () => {
    const yaml = await runCli(['diagnose', 'httpbin.foo', '--kubeconfig', kubeconfig, '-o', 'yaml'], { env: {} });
    const report = parse(yaml.stdout) as { version: number; target: unknown; checks: { id: string }[] };
    expect(report.version).toBe(1);
    expect(report.target).toMatchObject({ service: 'httpbin', namespace: 'foo', cluster: 'test' });
    expect(report.checks.map((c) => c.id)).toContain('token.time');
  });

  it('`--` ends the options: what follows is positional', async () => {
    const run = await runCli(['decode', '--', '--json'], { env: {} });
    // "--json" is taken as the token (not a usable JWT), not as the output flag.
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^This is not a usable JWT/);
  });

  it('the plugin entry runs diagnose for a bare target and passes subcommands through', () => {
    expect(pluginArgv(['httpbin', '-n', 'foo'])).toEqual(['diagnose', 'httpbin', '-n', 'foo']);
    expect(pluginArgv(['decode', '-'])).toEqual(['decode', '-']);
    expect(pluginArgv(['--help'])).toEqual(['--help']);
    expect(pluginArgv([])).toEqual([]);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  (kubectl ? it : it.skip)('`kubectl jwtcheck httpbin -n foo -o json` through the real kubectl finds the plugin on PATH', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const plugin = join(bin, 'kubectl-jwtcheck');
    writeFileSync(plugin, `#!/bin/sh\nexec "${process.execPath}" --import tsx "${join(REPO_ROOT, 'src', 'kubectl-jwtcheck.ts')}" "$@"\n`);
    chmodSync(plugin, 0o755);
    // Asynchronously: the fake API server answers from this process's event loop.
    const run = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'kubectl',
        ['jwtcheck', 'httpbin', '-n', 'foo', '-o', 'json', '--kubeconfig', kubeconfig, '--log-lines', '1'],
        { cwd: REPO_ROOT, env: { PATH: `${bin}:${process.env['PATH'] ?? ''}`, HOME: dir }, timeout: 60_000 },
        (err, stdout, stderr) => resolve({ status: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(run.stderr).toBe('');
    expect(expectReportV1(run.stdout, { service: 'httpbin', namespace: 'foo', cluster: 'test' }).checks.length).toBeGreaterThan(0);
    expect([0, 1]).toContain(run.status);
  }, 60_000);
});
