import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeListenError } from '../lib/listen-errors.js';
import { maskSecrets } from '../lib/logger.js';
import type { RedisConnectionInfo } from '../lib/redis-settings.js';

/**
 * The small HTTP server of both app and worker on HEALTH_PORT (default 9464 app, 9465 worker): Kubernetes probes and
 * Prometheus. It is separate from the Slack port so that probes and scrapes never go through Bolt's
 * signature check, and so the worker (which has no web stack) exposes the same three paths.
 *
 * - /healthz: the process is alive (liveness). It checks nothing else on purpose: a Redis outage
 *   must not make Kubernetes restart every pod, the worker reconnects by itself.
 * - /readyz: every readiness probe answered within its timeout (readiness), and which Redis topology
 *   (single server, Sentinel, Cluster) the process is connected to, and where.
 * - /metrics: the registry in Prometheus text format.
 */

/** Resolves when the dependency is usable; rejects (with a sentence) when not. */
export type ReadinessProbe = () => Promise<void>;

/** The part of a prom-client Registry used here. */
export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface HealthServerOptions {
  port: number;
  /** Default: all interfaces, because the kubelet probes the pod IP. */
  host?: string;
  readiness: Record<string, ReadinessProbe>;
  /** The queue's Redis connection, shown in /readyz (absent in in-process mode). */
  redis?: () => RedisConnectionInfo;
  registry: MetricsSource;
  probeTimeoutMs?: number;
}

export interface HealthServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  /** probe name -> 'ok' or the reason it failed. */
  checks: Record<string, string>;
  redis?: RedisConnectionInfo;
}

/** Kubernetes' default probe timeout is 1 s; readiness uses timeoutSeconds 3 so 2 s per probe fits. */
export const PROBE_TIMEOUT_MS = 2000;

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const timeoutMs = options.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  const server = createServer((req, res) => {
    handle(req, res, options, timeoutMs).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${describe(err)}\n`);
      else res.destroy();
    });
  });
  // Probes from the kubelet and scrapes are tiny; a slow client must not hold a socket for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(describeListenError(err, 'HEALTH_PORT', options.port)));
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive sockets (Prometheus keeps one open) would hold close() forever.
        server.closeAllConnections();
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HealthServerOptions, timeoutMs: number): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
  }
  switch (path) {
    case '/healthz':
      return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    case '/readyz': {
      const checked = await checkReadiness(options.readiness, timeoutMs);
      const report: ReadinessReport = options.redis ? { ...checked, redis: options.redis() } : checked;
      return send(res, report.status === 'ready' ? 200 : 503, 'application/json', `${JSON.stringify(report)}\n`);
    }
    case '/metrics':
      return send(res, 200, options.registry.contentType, await options.registry.metrics());
    default:
      return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

/** Runs every probe at once, each bounded by timeoutMs, so one hung dependency cannot hide the others. */
export async function checkReadiness(probes: Record<string, ReadinessProbe>, timeoutMs = PROBE_TIMEOUT_MS): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, string]> => {
      try {
        await withTimeout(probe, timeoutMs, name);
        return [name, 'ok'];
      } catch (err) {
        return [name, describe(err)];
      }
    }),
  );
  const checks = Object.fromEntries(entries);
  return { status: entries.every(([, v]) => v === 'ok') ? 'ready' : 'not ready', checks };
}

/** Ready when Redis answers PING. Give it a client with enableOfflineQueue: false to fail fast while disconnected. */
export function redisProbe(redis: { ping(): Promise<string> }): ReadinessProbe {
  return async () => {
    const reply = await redis.ping();
    if (reply !== 'PONG') throw new Error(`Redis answered PING with "${reply}"`);
  };
}

/** Ready when a cheap cluster call succeeds (e.g. () => versionApi.getCode()); the worker is useless without it. */
export function clusterProbe(check: () => Promise<unknown>): ReadinessProbe {
  return async () => {
    await check();
  };
}

function withTimeout(probe: ReadinessProbe, ms: number, name: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not answer within ${ms} ms`)), ms);
  });
  // Promise.resolve().then(): a probe that throws synchronously is a failure, not a crash.
  return Promise.race([Promise.resolve().then(probe), timeout]).finally(() => clearTimeout(timer));
}

/** The body is readable by anyone who can reach the port: mask tokens and URL passwords (redis://:pw@host). */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return maskSecrets(message.replace(/(\/\/)[^/@\s]*@/g, '$1[credentials redacted]@')).slice(0, 300) || 'failed';
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
