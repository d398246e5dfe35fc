/**
 * The queue on a Sentinel-managed primary (REDIS_SENTINELS + REDIS_SENTINEL_NAME, password from REDIS_URL):
 * real redis-server primary and replica, a real redis-sentinel. A diagnosis queued before a failover, and
 * one running through it, each end in exactly one parent and one checklist; the password shows nowhere.
 */
import { fakeDiagnose, until } from '../slack/harness.js';
import { startQueueRig, type QueueRig } from '../support/queue-rig.js';
import { startSentinel, type TestSentinel } from '../support/redis-topologies.js';

let sentinel: TestSentinel;
let rig: QueueRig;

beforeAll(async () => {
  sentinel = await startSentinel();
  rig = await startQueueRig(sentinel.env);
}, 30_000);

afterAll(async () => {
  await rig?.stop();
  await sentinel?.stop();
});

beforeEach(() => {
  rig.slack.calls.length = 0;
});

afterEach(async () => {
  await rig.stopWorkers();
  expect(rig.outputs()).not.toContain(sentinel.password);
});

it('reports the Sentinel topology and the primary it found in /readyz, and runs a diagnosis', async () => {
  const fake = fakeDiagnose();
  const worker = await rig.worker(fake);
  await rig.request('httpbin');
  await rig.finished('httpbin');
  expect(rig.posts()).toEqual({ parents: 1, checklists: 1 });
  const primary = `127.0.0.1:${await sentinel.primaryPort()}`;
  for (const port of [rig.appHealthPort, worker.healthPort]) {
    const ready = await rig.readyz(port);
    expect(ready.status).toBe('ready');
    expect(ready.redis).toEqual({ topology: 'sentinel', tls: false, servers: [primary] });
  }
});

it('finishes a diagnosis queued before a failover exactly once, after it, on the new primary', async () => {
  const before = await sentinel.primaryPort();
  await rig.request('queued');
  const failoverMs = await sentinel.failover();
  console.log(`sentinel failover (SENTINEL FAILOVER until the replica takes writes): ${failoverMs} ms`);
  const fake = fakeDiagnose();
  const started = Date.now();
  await rig.worker(fake);
  await rig.finished('queued');
  console.log(`queued diagnosis finished ${Date.now() - started} ms after a worker started post-failover`);
  expect(fake.calls.map((c) => c.target.service)).toEqual(['queued']);
  expect(rig.posts()).toEqual({ parents: 1, checklists: 1 });
  const now = `127.0.0.1:${await sentinel.primaryPort()}`;
  const switched = Date.now();
  await until(async () => (await rig.readyz(rig.appHealthPort)).redis?.servers[0] === now, 5000, '/readyz to name the new primary');
  console.log(`the app's /readyz named the new primary ${Date.now() - switched} ms after the diagnosis finished`);
  expect(await sentinel.primaryPort()).not.toBe(before);
}, 40_000);

it('carries a diagnosis running during a failover to one checklist, and takes new work after it', async () => {
  const held = fakeDiagnose({ hold: true });
  await rig.worker(held);
  await rig.request('running');
  await until(() => held.calls.length === 1);
  const failoverMs = await sentinel.failover();
  console.log(`sentinel failover mid-run: ${failoverMs} ms`);
  held.release();
  await rig.finished('running');
  await rig.request('after');
  await rig.finished('after');
  expect(held.calls.map((c) => c.target.service).sort()).toEqual(['after', 'running']);
  expect(rig.posts()).toEqual({ parents: 2, checklists: 2 });
}, 40_000);
