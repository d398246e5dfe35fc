/**
 * The queue on a Redis Cluster (REDIS_CLUSTER_NODES, password from REDIS_URL): three real redis-server
 * primaries joined by `redis-cli --cluster create`. BullMQ's scripts touch several keys of a queue at once,
 * which a Cluster refuses across hash slots (CROSSSLOT): every jwtcheck key carries the `{jwtcheck}` tag.
 * A diagnosis runs through a restart of the node holding that slot, exactly once; the password shows nowhere.
 */
import { fakeDiagnose, until } from '../slack/harness.js';
import { startQueueRig, type QueueRig } from '../support/queue-rig.js';
import { startCluster, type TestCluster } from '../support/redis-topologies.js';

let cluster: TestCluster;
let rig: QueueRig;

beforeAll(async () => {
  cluster = await startCluster();
  rig = await startQueueRig(cluster.env);
}, 30_000);

afterAll(async () => {
  await rig?.stop();
  await cluster?.stop();
});

beforeEach(() => {
  rig.slack.calls.length = 0;
});

afterEach(async () => {
  await rig.stopWorkers();
  expect(rig.outputs()).not.toContain(cluster.password);
});

/** Every key on every primary (SCAN runs per node on a Cluster). */
async function allKeys(): Promise<string[]> {
  const perNode = await Promise.all(cluster.admin.nodes('master').map((node) => node.keys('*')));
  return perNode.flat();
}

it('runs a diagnosis on the cluster with every jwtcheck key in the {jwtcheck} slot, and /readyz lists the primaries', async () => {
  const fake = fakeDiagnose({ hold: true });
  const worker = await rig.worker(fake);
  await rig.request('httpbin');
  await until(() => fake.calls.length === 1);
  // While the job is active its keys (job hash, lock, active list, dedup key) all exist.
  const keys = await allKeys();
  expect(keys.filter((k) => k.startsWith('bull:{jwtcheck}:')).length).toBeGreaterThan(3);
  expect(keys.some((k) => k.startsWith('{jwtcheck}:seen:'))).toBe(true);
  const slots = new Set(await Promise.all(keys.map(async (k) => Number(await cluster.admin.call('CLUSTER', 'KEYSLOT', k)))));
  expect([...slots]).toEqual([Number(await cluster.admin.call('CLUSTER', 'KEYSLOT', '{jwtcheck}'))]);
  fake.release();
  await rig.finished('httpbin');
  expect(rig.posts()).toEqual({ parents: 1, checklists: 1 });
  const primaries = cluster.env['REDIS_CLUSTER_NODES']?.split(',').sort();
  for (const port of [rig.appHealthPort, worker.healthPort]) {
    const ready = await rig.readyz(port);
    expect(ready.status).toBe('ready');
    expect(ready.redis).toEqual({ topology: 'cluster', tls: false, servers: primaries });
  }
});

it('carries a diagnosis through a restart of the node holding the queue, exactly once, and takes new work after', async () => {
  const held = fakeDiagnose({ hold: true });
  await rig.worker(held);
  await rig.request('running');
  await until(() => held.calls.length === 1);
  const restart = await cluster.restartNodeFor('bull:{jwtcheck}:wait');
  console.log(`cluster node ${restart.port} (the {jwtcheck} slot) was away ${restart.ms} ms (SIGTERM, start, cluster_state:ok)`);
  held.release();
  const released = Date.now();
  await rig.finished('running');
  console.log(`the running diagnosis finished ${Date.now() - released} ms after the restart`);
  await until(async () => (await rig.readyz(rig.appHealthPort)).status === 'ready', 10_000, 'the app to be ready again');
  await rig.request('after');
  await rig.finished('after');
  expect(held.calls.map((c) => c.target.service)).toEqual(['running', 'after']);
  expect(rig.posts()).toEqual({ parents: 2, checklists: 2 });
}, 40_000);

it('keeps the alert and App Home state in the same slot: a multi-key command on them is not refused (CROSSSLOT)', async () => {
  // The stores are handed the app's cluster client and its hash-tag setting, as src/app.ts does.
  const { createRedisClient, waitUntilReady } = await import('../../src/queue/redis.js');
  const { loadConfig } = await import('../../src/config.js');
  const { RedisAlertState } = await import('../../src/store/alert-state.js');
  const { RedisRecentDiagnoses } = await import('../../src/store/recent-diagnoses.js');
  const settings = loadConfig(cluster.env).redis;
  if (!settings) throw new Error('no Redis settings in the cluster env');
  const client = createRedisClient(settings, 'producer');
  try {
    expect(await waitUntilReady(client, 5_000)).toBe(true);
    const alerts = new RedisAlertState(client, true);
    const recent = new RedisRecentDiagnoses(client, 'alertmanager', true);
    expect(await alerts.claim('fp-1', { channel: 'C0INCIDENT' })).toBe(true);
    expect(await alerts.takeRefresh('fp-1', 60_000)).toBe(true);
    await alerts.forget('fp-1'); // DEL of the state and refresh keys at once: one slot, or CROSSSLOT
    await recent.add('U0STORE', { jobId: 'j1', target: { service: 'httpbin', namespace: 'foo', cluster: 'default' }, verdict: 'pass', summary: 'ok', at: '2026-12-04T00:00:00Z', channel: 'C0INCIDENT', source: 'slash' });
    expect((await recent.list('U0STORE')).map((e) => e.jobId)).toEqual(['j1']);
    const slot = Number(await cluster.admin.call('CLUSTER', 'KEYSLOT', '{jwtcheck}'));
    for (const key of (await allKeys()).filter((k) => k.includes(':recent:') || k.includes(':alert'))) {
      expect(Number(await cluster.admin.call('CLUSTER', 'KEYSLOT', key))).toBe(slot);
    }
  } finally {
    client.disconnect();
  }
});
