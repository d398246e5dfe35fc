/** Live progress on a terminal's stderr, erased before the report; nothing when stderr is piped. */
import { join } from 'node:path';
import { waitingFor } from '../../src/cli/progress.js';
import { runCli } from '../support/capture-io.js';
import { REPO_ROOT } from './fixtures/support.js';

const ERASE = '\r\u001b[2K';
const DEMO = join(REPO_ROOT, 'examples', 'seed-httpbin-foo');
const ARGS = ['diagnose', 'httpbin', 'foo', '--files', join(DEMO, 'cluster.yaml'), '--issuer-recording', join(DEMO, 'issuer-recording.yaml')];

describe('progress', () => {
  it('stderr a TTY: "n/22 checks" lines, each drawn over the last, the line erased at the end', async () => {
    const run = await runCli(ARGS, { env: {}, stderrIsTTY: true });
    expect(run.stderr).toContain(`${ERASE}0/22 checks · waiting for the Service`);
    expect(run.stderr).toContain(`${ERASE}22/22 checks …`);
    expect(run.stderr.endsWith(ERASE)).toBe(true);
    expect(run.stdout).not.toContain('\u001b[2K');
  });

  it('stderr piped: no progress at all', async () => {
    const run = await runCli(ARGS, { env: {} });
    expect(run.stderr).toBe('');
  });

  it('names what the unfinished checks wait for, and not what a finished check already had', () => {
    const checks = [
      { id: 'a', needs: ['service'] as const },
      { id: 'b', needs: ['service', 'issuers'] as const },
    ];
    expect(waitingFor(checks, new Set())).toEqual(['the Service', 'issuer']);
    expect(waitingFor(checks, new Set(['a']))).toEqual(['issuer']);
    expect(waitingFor(checks, new Set(['a', 'b']))).toEqual([]);
  });
});

describe('terminal report', () => {
  it('opens with the same "What needs attention" list as the Slack thread', async () => {
    const run = await runCli(['demo'], { env: {} });
    expect(run.stdout).toMatch(/What needs attention \(2\):\n {2}❌ Token is within its validity period \(exp, nbf\) · token\.time\n {2}❌ Recent requests/);
  });
});
