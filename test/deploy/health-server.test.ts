/**
 * The health/metrics server over real HTTP: /healthz, /readyz against a real redis-server (ready) and
 * a closed port (not ready), a hung probe bounded by its timeout, and /metrics with jwtcheck's names.
 */
import { Redis } from 'ioredis';
import { checkReadiness, clusterProbe, redisProbe, startHealthServer } from '../../src/health/health-server.js';
import type { HealthServer } from '../../src/health/health-server.js';
import { createMetrics } from '../../src/metrics.js';
import { freePort } from '../support/free-port.js';
import { startRedis } from '../support/redis.js';
import type { TestRedis } from '../support/redis.js';

interface Reply {
  status: number;
  type: string | null;
  body: string;
}

async function get(server: HealthServer, path: string, method = 'GET'): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** A client that fails at once while disconnected and never reconnects (so the test leaves no handle). */
function quickRedis(port: number): Redis {
  return new Redis({ host: '127.0.0.1', port, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

describe('health server', () => {
  let redis: TestRedis;
  let client: Redis;
  let deadClient: Redis;
  let server: HealthServer | undefined;
  let deadPort: number;

  beforeAll(async () => {
    redis = await startRedis();
    client = quickRedis(redis.port);
    await client.connect();
    deadPort = await freePort();
    deadClient = quickRedis(deadPort);
    deadClient.on('error', () => {}); // the refused connection is what this test is about
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  afterAll(async () => {
    client.disconnect();
    // Already ended after the refused connect; disconnecting again would arm an ioredis timer on the dead socket.
    if (deadClient.status !== 'end') deadClient.disconnect();
    await redis.stop();
  });

  it('answers /healthz with 200 ok whatever the dependencies say', async () => {
    server = await startHealthServer({ port: 0, host: '127.0.0.1', readiness: { redis: redisProbe(deadClient) }, registry: createMetrics().registry });
    const reply = await get(server, '/healthz');
    expect(reply).toEqual({ status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
  });

  it('answers /readyz with 200 and every check ok when Redis answers PING', async () => {
    server = await startHealthServer({ port: 0, host: '127.0.0.1', readiness: { redis: redisProbe(client) }, registry: createMetrics().registry });
    const reply = await get(server, '/readyz');
    expect(reply.status).toBe(200);
    expect(reply.type).toBe('application/json');
    expect(JSON.parse(reply.body)).toEqual({ status: 'ready', checks: { redis: 'ok' } });
  });

  it('answers /readyz with 503 naming the failing probe and why, when Redis is down', async () => {
    await deadClient.connect().catch(() => {});
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      readiness: { redis: redisProbe(deadClient), cluster: clusterProbe(async () => ({ major: '1' })) },
      registry: createMetrics().registry,
    });
    const reply = await get(server, '/readyz');
    expect(reply.status).toBe(503);
    const body = JSON.parse(reply.body) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('not ready');
    expect(body.checks['cluster']).toBe('ok');
    expect(body.checks['redis']).toMatch(/writeable|ECONNREFUSED|closed|Connection/i);
  });

  it('bounds a hung probe by its timeout, and still reports the others', async () => {
    const started = Date.now();
    const report = await checkReadiness(
      { hung: () => new Promise<void>(() => {}), thrower: () => { throw new Error('boom redis://:hunter2@redis:6379'); }, fine: async () => {} },
      150,
    );
    expect(Date.now() - started).toBeLessThan(1500);
    expect(report.status).toBe('not ready');
    expect(report.checks['hung']).toBe('hung did not answer within 150 ms');
    expect(report.checks['fine']).toBe('ok');
    // A URL password in an error message is not shown to whoever can reach the port.
    expect(report.checks['thrower']).toContain('boom');
    expect(report.checks['thrower']).not.toContain('hunter2');
  });

  it('serves /metrics in Prometheus text format with jwtcheck and process metrics', async () => {
    const metrics = createMetrics();
    metrics.diagnoses.inc({ source: 'slash', verdict: 'fail' });
    metrics.diagnosisSeconds.observe(0.4);
    metrics.kubeRequests.inc({ outcome: 'ok' }, 7);
    metrics.issuerRequests.inc({ outcome: 'timeout' });
    metrics.slackApiErrors.inc({ method: 'chat.postMessage', error: 'not_in_channel' });
    metrics.setQueueCounter(async () => ({ waiting: 3, active: 1 }));
    server = await startHealthServer({ port: 0, host: '127.0.0.1', readiness: {}, registry: metrics.registry });
    const reply = await get(server, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.type).toBe(metrics.registry.contentType);
    expect(reply.type).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const line of [
      'jwtcheck_diagnoses_total{source="slash",verdict="fail"} 1',
      'jwtcheck_diagnosis_duration_seconds_bucket{le="0.5"} 1',
      'jwtcheck_diagnosis_duration_seconds_bucket{le="30"} 1',
      'jwtcheck_queue_jobs{state="waiting"} 3',
      'jwtcheck_queue_jobs{state="active"} 1',
      'jwtcheck_kube_requests_total{outcome="ok"} 7',
      'jwtcheck_issuer_requests_total{outcome="timeout"} 1',
      'jwtcheck_slack_api_errors_total{method="chat.postMessage",error="not_in_channel"} 1',
    ]) {
      expect(reply.body.split('\n')).toContain(line);
    }
    expect(reply.body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(reply.body).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('drops the queue series instead of hanging the scrape when counting fails', async () => {
    const metrics = createMetrics();
    metrics.setQueueCounter(async () => {
      throw new Error('Redis down');
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('# TYPE jwtcheck_queue_jobs gauge');
    expect(text).not.toMatch(/^jwtcheck_queue_jobs\{/m);
  });

  it('lets several metric sets live in one process (no global registry)', () => {
    expect(() => {
      createMetrics();
      createMetrics();
    }).not.toThrow();
  });

  it('answers 404 to other paths, 405 to other methods, and HEAD without a body', async () => {
    server = await startHealthServer({ port: 0, host: '127.0.0.1', readiness: {}, registry: createMetrics().registry });
    expect((await get(server, '/slack/events')).status).toBe(404);
    const post = await get(server, '/healthz', 'POST');
    expect(post.status).toBe(405);
    const head = await get(server, '/readyz', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    expect((await get(server, '/healthz?probe=1')).status).toBe(200);
  });

  it('closes with a keep-alive connection still open, and refuses a busy port', async () => {
    server = await startHealthServer({ port: 0, host: '127.0.0.1', readiness: {}, registry: createMetrics().registry });
    await get(server, '/healthz'); // fetch keeps the socket alive
    await expect(startHealthServer({ port: server.port, host: '127.0.0.1', readiness: {}, registry: createMetrics().registry })).rejects.toThrow(
      `HEALTH_PORT ${server.port} is already in use`,
    );
    await server.close();
    server = undefined;
  });
});
