/**
 * The queue walk of test/queue/queue.test.ts, pointed at any Redis topology: the real app (Bolt, producer,
 * /readyz) and real workers, the fake Slack API, a fake diagnosis. `outputs()` gathers everything a person
 * or a log shipper could read (log lines, every Slack call, /readyz bodies, errors) for the password checks.
 */
import { startWorker, type RunningWorker } from '../../src/worker.js';
import type { ReadinessReport } from '../../src/health/health-server.js';
import { ENCRYPTION_KEY_B64, NO_CLUSTER, SECRET, TEST_CLIENT_OPTIONS, captureLog, checklistCalls, startTestApp, testConfig, until, type FakeDiagnose } from '../slack/harness.js';
import { startFakeSlack, type FakeSlack } from './slack-api.js';
import { sendSlashCommand } from './slack-request.js';

export interface QueueRig {
  slack: FakeSlack;
  /** Starts a worker on the topology; stopped by stop(). */
  worker(fake: FakeDiagnose): Promise<RunningWorker>;
  /** Sends `/jwtcheck <service> foo`; resolves once acked. */
  request(service: string): Promise<void>;
  /** Resolves once the parent message of `<service>.foo` shows its verdict. */
  finished(service: string, timeoutMs?: number): Promise<void>;
  /** Parent messages and threaded checklists posted so far (clear slack.calls between tests). */
  posts(): { parents: number; checklists: number };
  stopWorkers(): Promise<void>;
  readyz(port: number | undefined): Promise<ReadinessReport>;
  appHealthPort: number | undefined;
  outputs(): string;
  stop(): Promise<void>;
}

/** Lock and stalled check short enough that a lost lock would show within a test, long enough to survive a failover. */
const LOCK_MS = 5000;

export async function startQueueRig(env: Record<string, string>): Promise<QueueRig> {
  const log = captureLog('topology');
  const seen: string[] = [];
  const slack = await startFakeSlack();
  const fullEnv = { ...env, JOB_ENCRYPTION_KEY: ENCRYPTION_KEY_B64 };
  const app = await startTestApp(testConfig(slack, fullEnv), { logger: log.logger, health: true });
  const workers: RunningWorker[] = [];
  const stopWorkers = async (): Promise<void> => {
    while (workers.length > 0) await workers.pop()?.stop();
  };
  const parentText = (service: string): string[] =>
    slack.calls.filter((c) => c.method === 'chat.update' && String(c.args['text']).includes(`${service}.foo`)).map((c) => String(c.args['text']));
  return {
    slack,
    appHealthPort: app.healthPort,
    async worker(fake) {
      const w = await startWorker(testConfig(slack, fullEnv, 'worker'), {
        logger: log.logger,
        health: true,
        clientOptions: TEST_CLIENT_OPTIONS,
        runtime: { diagnose: fake.diagnose, openSource: () => NO_CLUSTER, progressIntervalMs: 50 },
        lockDurationMs: LOCK_MS,
        stalledIntervalMs: LOCK_MS,
      });
      workers.push(w);
      return w;
    },
    async request(service) {
      const res = await sendSlashCommand(app.url, SECRET, { text: `${service} foo`, response_url: slack.responseUrl(service) });
      if (res.status !== 200) throw new Error(`slash command answered ${res.status}`);
      const told = slack.calls.find((c) => c.method === 'response_url' && String(c.args['text']).includes('unavailable'));
      if (told) throw new Error(`the app refused the request: ${String(told.args['text'])}`);
    },
    finished: (service, timeoutMs = 15_000) =>
      until(() => parentText(service).some((t) => /no problem found|a check failed/.test(t)), timeoutMs, `the verdict for ${service}.foo`).catch((err: Error) => {
        throw new Error(`${err.message}; Slack saw: ${slack.calls.map((c) => `${c.method} ${String(c.args['text'])}`).join(' | ')}; log: ${log.text().slice(-3000)}`);
      }),
    posts: () => ({
      parents: slack.callsTo('chat.postMessage').filter((c) => c.args['thread_ts'] === undefined && !c.failed).length,
      checklists: checklistCalls(slack).length,
    }),
    async readyz(port) {
      const res = await fetch(`http://127.0.0.1:${port ?? 0}/readyz`);
      const body = await res.text();
      seen.push(body);
      return JSON.parse(body) as ReadinessReport;
    },
    outputs: () => [log.text(), JSON.stringify(slack.calls), ...seen].join('\n'),
    stopWorkers,
    async stop() {
      await stopWorkers();
      await app.stop();
      await slack.close();
    },
  };
}
