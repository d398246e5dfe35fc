/** `help`, `--help`, `-h` and no command print the usage (exit 0); `--version` prints package.json's version. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../support/capture-io.js';
import { REPO_ROOT } from './fixtures/support.js';

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('help and version', () => {
  it.each([[['help']], [['--help']], [['-h']], [[]]])('%j prints the usage on stdout, exit 0', async (argv) => {
    const run = await runCli(argv, { env: {} });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^Usage:/);
    for (const command of ['jwtcheck diagnose <service> <namespace>', 'jwtcheck decode', 'jwtcheck demo']) {
      expect(run.stdout).toContain(command);
    }
    for (const flag of ['--token', '--token-file', '--json', '--context', '--log-lines', '--files', '--logs']) {
      expect(run.stdout).toContain(flag);
    }
    expect(run.stdout).toMatch(/Exit codes: 0 .*1 .*2 .*3 /);
  });

  it.each([[['--version']], [['version']], [['-v']]])('%j prints the package version, exit 0', async (argv) => {
    const run = await runCli(argv, { env: {} });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${VERSION}\n`);
    expect(run.stderr).toBe('');
  });
});
