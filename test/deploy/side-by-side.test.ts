/**
 * Issue 10 item 1: the README's queued mode on one machine. `set -a; . ./.env` (from .env.example), then
 * `jwtcheck app` and `jwtcheck worker` with the same environment: both must start (distinct health ports
 * by default), and a port already taken must end in one sentence naming the setting, not a stack-ish
 * "unexpected error". Real child processes, real redis-server, the Slack stand-in.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { DEFAULT_HEALTH_PORTS, loadConfig } from '../../src/config.js';
import { REPO_ROOT, expectNoStackTrace, minimalEnv, runChild } from '../cli/fixtures/support.js';
import { freePort } from '../support/free-port.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.js';

const SLOW_MS = 90_000;
const KEY = Buffer.alloc(32, 7).toString('base64');

/** .env.example as `set -a; . ./.env` would export it: the non-empty assignments. */
function envExample(): Record<string, string> {
  const parsed = parseEnv(readFileSync(join(REPO_ROOT, '.env.example'), 'utf8'));
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(role: 'app' | 'worker', env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', 'cli.ts'), role], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function startedOrExited(run: Running, message: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void run.exited.then(() => (gone = true));
  while (!run.output().includes(message)) {
    if (gone) throw new Error(`exited before "${message}":\n${run.output()}`);
    if (Date.now() > deadline) throw new Error(`no "${message}" within ${timeoutMs} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function occupy(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}

describe('app and worker side by side on one host', () => {
  let redis: TestRedis;
  let slack: FakeSlack;

  beforeAll(async () => {
    redis = await startRedis();
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack.close();
    await redis.stop();
  });

  const baseEnv = async (): Promise<Record<string, string>> => ({
    ...minimalEnv(),
    ...envExample(),
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    REDIS_URL: redis.url,
    JOB_ENCRYPTION_KEY: KEY,
    PORT: String(await freePort()),
    LOG_FORMAT: 'json',
  });

  it('the roles have distinct default health ports, and .env.example does not set one for both', () => {
    const app = loadConfig(envExample(), { role: 'cli' });
    expect(envExample()['HEALTH_PORT']).toBeUndefined();
    expect(DEFAULT_HEALTH_PORTS.app).not.toBe(DEFAULT_HEALTH_PORTS.worker);
    const env = { SLACK_BOT_TOKEN: 'xoxb-x', SLACK_SIGNING_SECRET: 's', REDIS_URL: 'redis://x', JOB_ENCRYPTION_KEY: KEY };
    expect(loadConfig(env, { role: 'app' }).healthPort).toBe(DEFAULT_HEALTH_PORTS.app);
    expect(loadConfig(env, { role: 'worker' }).healthPort).toBe(DEFAULT_HEALTH_PORTS.worker);
    expect(loadConfig({ ...env, HEALTH_PORT: '9999' }, { role: 'worker' }).healthPort).toBe(9999);
    expect(app.healthPort).toBe(DEFAULT_HEALTH_PORTS.app);
  });

  it('`jwtcheck app` and `jwtcheck worker` with one environment both start and answer /healthz', async () => {
    for (const port of Object.values(DEFAULT_HEALTH_PORTS)) {
      // A clear failure rather than a misleading one when this host already uses a default port.
      await occupy(port).then((s) => new Promise((r) => s.close(r)), () => {
        throw new Error(`port ${port} is taken on this host: this test needs jwtcheck's default health ports free`);
      });
    }
    const env = await baseEnv();
    const app = start('app', env);
    const worker = start('worker', env);
    try {
      await Promise.all([startedOrExited(app, 'jwtcheck app started'), startedOrExited(worker, 'jwtcheck worker started')]);
      for (const port of Object.values(DEFAULT_HEALTH_PORTS)) {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect([port, res.status]).toEqual([port, 200]);
      }
    } finally {
      app.child.kill('SIGTERM');
      worker.child.kill('SIGTERM');
    }
    expect(await app.exited).toBe(0);
    expect(await worker.exited).toBe(0);
  }, SLOW_MS);

  it.each([
    ['worker', 'HEALTH_PORT'],
    ['app', 'HEALTH_PORT'],
    ['app', 'PORT'],
  ] as const)('%s with %s already in use: exit 3 and one sentence naming it', async (role, setting) => {
    const port = await freePort();
    const taken = await occupy(port);
    try {
      const env = { ...(await baseEnv()), HEALTH_PORT: String(await freePort()), [setting]: String(port) };
      const run = await runChild([role], env);
      const lines = run.stderr.trim().split('\n');
      expect({ code: run.code, lines }).toEqual({ code: 3, lines: [expect.stringContaining(`${setting} ${port}`)] });
      expect(lines[0]).toMatch(new RegExp(`^jwtcheck: ${setting} ${port} is already in use.*\\.$`));
      expect(run.stderr).not.toContain('unexpected error');
      expectNoStackTrace(run.stderr);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  }, SLOW_MS);
});
