/** `jwtcheck completion bash|zsh|fish`: scripts that offer what the parser accepts; bash's is run for real. */
import { spawnSync } from 'node:child_process';
import { COMMANDS } from '../../src/cli/commands.js';
import { runCli } from '../support/capture-io.js';

/** Sources the bash script and asks its function for the completions of `words` (the last one being typed). */
function complete(script: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const program = `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _jwtcheck; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync('bash', ['-c', program], { encoding: 'utf8' });
  expect(run.stderr).toBe('');
  return run.stdout.split('\n').filter((l) => l !== '');
}

describe('completion', () => {
  let bash: string;
  beforeAll(async () => {
    const run = await runCli(['completion', 'bash'], { env: {} });
    expect(run.code).toBe(0);
    bash = run.stdout;
  });

  it('bash: subcommands first, then each subcommand’s flags, then -o values', () => {
    expect(complete(bash, ['jwtcheck', 'd'])).toEqual(['diagnose', 'decode', 'demo']);
    expect(complete(bash, ['jwtcheck', 'diagnose', 'httpbin', '--k'])).toEqual(['--kubeconfig']);
    expect(complete(bash, ['jwtcheck', 'diagnose', 'httpbin', '-o', ''])).toEqual(['text', 'json', 'yaml']);
    expect(complete(bash, ['jwtcheck', 'completion', ''])).toEqual(expect.arrayContaining(['bash', 'zsh', 'fish']));
    // The kubectl plugin: a bare target means diagnose.
    expect(complete(bash, ['kubectl-jwtcheck', 'httpbin', '--to'])).toEqual(['--token', '--token-file']);
  });

  it('bash: every option of every subcommand is offered', () => {
    for (const spec of COMMANDS) {
      const offered = complete(bash, ['jwtcheck', spec.name, '-']);
      for (const o of spec.options) expect(offered).toContain(`--${o.long}`);
    }
  });

  it('zsh wraps the bash function; fish names every option with its description', async () => {
    const zsh = (await runCli(['completion', 'zsh'], { env: {} })).stdout;
    expect(zsh).toMatch(/^#compdef jwtcheck kubectl-jwtcheck\n/);
    expect(zsh).toContain('bashcompinit');
    expect(spawnSync('bash', ['-n', '-c', bash]).status).toBe(0);
    const fish = (await runCli(['completion', 'fish'], { env: {} })).stdout;
    for (const spec of COMMANDS) for (const o of spec.options) expect(fish).toContain(`__fish_seen_subcommand_from ${spec.name}'${o.short ? ` -s ${o.short}` : ''} -l ${o.long}`);
    expect(fish).toContain("-l output -x -a 'text json yaml'");
  });
});
