/**
 * onShutdown in a real child process (node --import tsx), stopped with real signals: the running job
 * finishes before exit 0; a hung handler is cut at timeoutMs with exit 1; a second signal exits at once.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { runShutdown } from '../../src/shutdown.js';

const CHILD = join(process.cwd(), 'test/deploy/fixtures/shutdown-child.ts');

interface Run {
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

/** Starts the child, sends the signals once it says `ready` (gapMs apart), and collects its output. */
function runChild(mode: string, signals: NodeJS.Signals[], gapMs = 50): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let out = '';
    let err = '';
    let sentAt = 0;
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (sentAt === 0 && out.includes('ready\n')) {
        sentAt = Date.now();
        signals.forEach((s, i) => setTimeout(() => child.kill(s), i * gapMs));
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      if (sentAt === 0) reject(new Error(`child exited before ready: ${err}`));
      else resolve({ lines: out.trim().split('\n'), code, signal, ms: Date.now() - sentAt });
    });
  });
}

describe('onShutdown in a child process', () => {
  it('on SIGTERM stops taking work, lets the running job finish, closes Redis, exits 0', async () => {
    const run = await runChild('graceful', ['SIGTERM']);
    expect(run.code).toBe(0);
    const order = run.lines.filter((l) => !l.startsWith('log '));
    expect(order).toEqual(['ready', 'stopped taking work', 'job completed', 'redis closed']);
    expect(run.lines.some((l) => l.startsWith('log info shutting down') && l.includes('SIGTERM'))).toBe(true);
    expect(run.lines).toContain('log info shutdown complete {}');
    expect(run.ms).toBeGreaterThanOrEqual(300); // it waited for the job
  });

  it('handles SIGINT the same way', async () => {
    const run = await runChild('graceful', ['SIGINT']);
    expect(run.code).toBe(0);
    expect(run.lines).toContain('job completed');
  });

  it('exits 1 when the handlers outlast timeoutMs', async () => {
    const run = await runChild('hang', ['SIGTERM']);
    expect(run.code).toBe(1);
    expect(run.lines.some((l) => l.startsWith('log warn shutdown timed out'))).toBe(true);
    expect(run.lines).not.toContain('redis closed');
    expect(run.ms).toBeLessThan(3000);
  });

  it('runs the next handlers when one throws, then exits 1', async () => {
    const run = await runChild('failing', ['SIGTERM']);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual(expect.arrayContaining(['log error shutdown step failed', 'job completed', 'redis closed']));
  });

  it('exits at once on a second signal (128 + signal number)', async () => {
    const run = await runChild('hang', ['SIGINT', 'SIGINT'], 50);
    expect(run.code).toBe(130);
    expect(run.lines.some((l) => l.startsWith('log warn second signal'))).toBe(true);
    expect(run.lines).not.toContain('job completed');
  });
});

describe('runShutdown', () => {
  it('resolves 0 after every handler ran in order', async () => {
    const seen: number[] = [];
    const code = await runShutdown([async () => void seen.push(1), async () => void seen.push(2)], { timeoutMs: 1000 });
    expect([code, seen]).toEqual([0, [1, 2]]);
  });

  it('resolves 0 with no handlers and clears its timer (no open handle)', async () => {
    await expect(runShutdown([], { timeoutMs: 60_000 })).resolves.toBe(0);
  });
});
