/**
 * The queue on a TLS-only Redis with ACL user and password (`rediss://user:password@host:port`), trusting a
 * test CA made at start through REDIS_CA_FILE or NODE_EXTRA_CA_CERTS. The password shows in no log line,
 * Slack message, /readyz body or error, whether it is right or wrong.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { QueueProducer } from '../../src/queue/producer.js';
import { captureLog, fakeDiagnose, until } from '../slack/harness.js';
import { startQueueRig, type QueueRig } from '../support/queue-rig.js';
import { startTlsRedis, type TestTlsRedis } from '../support/redis-topologies.js';

const run = promisify(execFile);
let redis: TestTlsRedis;
let rig: QueueRig;

beforeAll(async () => {
  redis = await startTlsRedis();
  rig = await startQueueRig(redis.env);
}, 30_000);

afterAll(async () => {
  await rig?.stop();
  await redis?.stop();
});

it('runs a diagnosis over TLS with user and password, and /readyz says so without the password', async () => {
  const fake = fakeDiagnose();
  const worker = await rig.worker(fake);
  await rig.request('httpbin');
  await rig.finished('httpbin');
  expect(rig.posts()).toEqual({ parents: 1, checklists: 1 });
  for (const port of [rig.appHealthPort, worker.healthPort]) {
    const ready = await rig.readyz(port);
    expect(ready.status).toBe('ready');
    expect(ready.redis).toEqual({ topology: 'standalone', tls: true, servers: [`127.0.0.1:${redis.port}`] });
  }
  expect(rig.outputs()).not.toContain(redis.password);
});

it('names the server as host:port only when the password is wrong', async () => {
  const wrong = `${redis.password}-wrong`;
  const log = captureLog();
  const config = loadConfig({ REDIS_URL: `rediss://jwtcheck:${wrong}@127.0.0.1:${redis.port}`, REDIS_CA_FILE: redis.caFile });
  const producer = new QueueProducer({ redis: config.redis!, logger: log.logger });
  try {
    await until(() => /WRONGPASS/.test(log.text()), 5000, 'the refused AUTH');
    const error = await producer.check().then(() => undefined, (err: Error) => err);
    expect(error?.message).toBe(`The diagnosis queue is unavailable (Redis at 127.0.0.1:${redis.port} does not answer); try again in a minute.`);
    for (const text of [error?.message, String(error?.cause), log.text()]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(redis.password);
    }
  } finally {
    await producer.close();
  }
});

it('trusts the CA from NODE_EXTRA_CA_CERTS when REDIS_CA_FILE is unset, and refuses the server without it', async () => {
  // NODE_EXTRA_CA_CERTS is read once at process start: a child process with and without it.
  const script = [
    "import { loadConfig } from './src/config.ts';",
    "import { createRedisClient } from './src/queue/redis.ts';",
    "const client = createRedisClient(loadConfig(process.env).redis, 'producer');",
    "client.on('error', (e) => { console.log('error: ' + e.message); client.disconnect(); });",
    "client.once('ready', async () => { console.log('answer: ' + await client.ping()); client.disconnect(); });",
  ].join('\n');
  const child = (extra: Record<string, string>) =>
    run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      env: { PATH: process.env['PATH'] ?? '', REDIS_URL: redis.env['REDIS_URL'] ?? '', ...extra },
      timeout: 20_000,
    });
  const trusted = await child({ NODE_EXTRA_CA_CERTS: redis.caFile });
  expect(trusted.stdout).toContain('answer: PONG');
  const untrusted = await child({});
  expect(untrusted.stdout).toMatch(/error: .*(self-signed|unable to verify|certificate)/i);
  expect(trusted.stdout + trusted.stderr + untrusted.stdout + untrusted.stderr).not.toContain(redis.password);
}, 45_000);
