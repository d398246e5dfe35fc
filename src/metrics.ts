import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The process's Prometheus metrics, served on the health port's /metrics.
 * Each call builds its own Registry instead of using prom-client's global one: several app/worker
 * instances (and tests) can live in one process without "metric already registered" errors.
 */
export interface QueueJobCounts {
  waiting: number;
  active: number;
}

export interface Metrics {
  registry: Registry;
  /**
   * One per diagnosis that ended (the audit line's twin): `source` is the surface that asked (slash, dm, rerun,
   * form, home, alert); `verdict` the report's verdict status (pass/fail/warn/error) or `not_run`.
   */
  diagnoses: Counter<'source' | 'verdict'>;
  diagnosisSeconds: Histogram<string>;
  /** Filled at scrape time by the function given to setQueueCounter; absent until then. */
  queueJobs: Gauge<'state'>;
  /** `outcome`: ok, forbidden, not_found, timeout, error. */
  kubeRequests: Counter<'outcome'>;
  /** `outcome`: ok, http_error, timeout, refused (url guard), error. */
  issuerRequests: Counter<'outcome'>;
  /** `method`: Web API method (chat.postMessage); `error`: Slack's error code (not_in_channel, ratelimited). */
  slackApiErrors: Counter<'method' | 'error'>;
  /** Socket Mode connections opened again after the socket was lost (drop, or Slack's `disconnect`). */
  slackSocketReconnects: Counter<string>;
  setQueueCounter(counter: () => Promise<QueueJobCounts>): void;
}

/** Diagnoses take from a few hundred ms (all local) to the fetch timeouts stacked (tens of seconds). */
export const DIAGNOSIS_BUCKETS_SECONDS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30];
/** A scrape must not hang on a Redis outage: queue counts give up after this and the series is dropped. */
export const QUEUE_COUNT_TIMEOUT_MS = 1000;

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, event loop lag, GC) are gathered on scrape; no timers are started.
  collectDefaultMetrics({ register: registry });

  const diagnoses = new Counter({
    name: 'jwtcheck_diagnoses_total',
    help: 'Diagnoses that ended, by the surface that asked and the verdict status (not_run: could not run).',
    labelNames: ['source', 'verdict'] as const,
    registers: [registry],
  });
  const diagnosisSeconds = new Histogram({
    name: 'jwtcheck_diagnosis_duration_seconds',
    help: 'Time from the start of evidence gathering to the finished report.',
    buckets: DIAGNOSIS_BUCKETS_SECONDS,
    registers: [registry],
  });
  let queueCounter: (() => Promise<QueueJobCounts>) | undefined;
  const queueJobs = new Gauge({
    name: 'jwtcheck_queue_jobs',
    help: 'Jobs in the jwtcheck queue, by state (read from Redis at scrape time).',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      if (queueCounter === undefined) return;
      try {
        const counts = await withTimeout(queueCounter(), QUEUE_COUNT_TIMEOUT_MS);
        this.set({ state: 'waiting' }, counts.waiting);
        this.set({ state: 'active' }, counts.active);
      } catch {
        // Redis unreachable: report no value rather than a stale one; /readyz says why.
        this.reset();
      }
    },
  });
  const kubeRequests = new Counter({
    name: 'jwtcheck_kube_requests_total',
    help: 'Kubernetes API requests made by diagnoses, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const issuerRequests = new Counter({
    name: 'jwtcheck_issuer_requests_total',
    help: 'Issuer discovery and JWKS fetches, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const slackApiErrors = new Counter({
    name: 'jwtcheck_slack_api_errors_total',
    help: 'Slack Web API calls that failed, by method and Slack error code.',
    labelNames: ['method', 'error'] as const,
    registers: [registry],
  });
  const slackSocketReconnects = new Counter({
    name: 'jwtcheck_slack_socket_reconnects_total',
    help: 'Socket Mode connections re-established after the socket was lost (dropped, or Slack asked for a new one).',
    registers: [registry],
  });

  return {
    registry,
    diagnoses,
    diagnosisSeconds,
    queueJobs,
    kubeRequests,
    issuerRequests,
    slackApiErrors,
    slackSocketReconnects,
    setQueueCounter(counter) {
      queueCounter = counter;
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
