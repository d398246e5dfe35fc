/**
 * Shared set-up for the Slack tests: the real app (Bolt HTTP receiver, real listeners) on a free port,
 * pointed at the fake Slack API, with a log stream the tests can read. Not a test file.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { startApp, type AppDeps, type RunningApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import type { CheckResult, CheckStatus } from '../../src/engine/check.js';
import type { Diagnose, DiagnoseOptions } from '../../src/diagnose.js';
import { countStatuses, decideVerdict, type Report } from '../../src/engine/report.js';
import { CHECK_IDS } from '../../src/checks/index.js';
import type { ClusterSource } from '../../src/model/cluster-source.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { FAKE_SLACK_IDS, type FakeSlack, type SlackCall } from '../support/slack-api.js';

export const SECRET = 'test-signing-secret';
export const ENCRYPTION_KEY_B64 = randomBytes(32).toString('base64');

export interface CapturedLog {
  logger: Logger;
  text(): string;
}

export function captureLog(name = 'test'): CapturedLog {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  return { logger: createLogger(name, { destination: stream, level: 'debug' }), text: () => chunks.join('') };
}

export function testConfig(slack: FakeSlack, env: Record<string, string | undefined> = {}, role: 'app' | 'worker' = 'app'): Readonly<Config> {
  return loadConfig(
    {
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      HEALTH_PORT: '0',
      JWTCHECK_CONCURRENCY: '2',
      ...env,
    },
    { role },
  );
}

/** Bolt in tests: no auth.test, quick retries (a 429 still waits its Retry-After). */
export const TEST_CLIENT_OPTIONS = { retryConfig: { retries: 3, factor: 1, minTimeout: 50, maxTimeout: 200 } };

/** Socket Mode: reconnects after ~1.5 s instead of 5 s (the client's back-off step is its ping timeout). */
export const TEST_SOCKET_PING_TIMEOUT_MS = 1500;

export async function startTestApp(config: Readonly<Config>, deps: AppDeps = {}): Promise<RunningApp & { url: string }> {
  const running = await startApp(config, {
    host: '127.0.0.1',
    botId: FAKE_SLACK_IDS.botId,
    botUserId: FAKE_SLACK_IDS.botUserId,
    clientOptions: TEST_CLIENT_OPTIONS,
    health: false,
    ...deps,
  });
  return { ...running, url: `http://127.0.0.1:${running.port ?? 0}/slack/events` };
}

/** A report where each catalogue check has the given status (pass by default), token checks twice. */
export function fakeReport(target: DiagnoseOptions['target'], statuses: Partial<Record<string, CheckStatus>> = {}): Report {
  const checks: CheckResult[] = [];
  for (const id of CHECK_IDS) {
    const status = statuses[id] ?? 'pass';
    const make = (subject?: string): CheckResult => ({
      id,
      title: `Title of ${id}`,
      status,
      detail: `Detail of ${id}${subject ? ` for ${subject}` : ''}`,
      ...(subject ? { subject } : {}),
      ...(status === 'fail' || status === 'warn' || status === 'error' ? { fix: `Fix for ${id}` } : {}),
    });
    if (id === 'token.issuer') checks.push(make('https://a.example'), make('https://b.example'));
    else checks.push(make());
  }
  return {
    version: 1,
    target,
    startedAt: new Date().toISOString(),
    durationMs: 12,
    verdict: decideVerdict(checks),
    checks,
    counts: countStatuses(checks),
  };
}

export interface FakeDiagnose {
  diagnose: Diagnose;
  calls: DiagnoseOptions[];
  /** Resolves the diagnoses that wait (when created with hold: true). */
  release(): void;
}

export function fakeDiagnose(options: { statuses?: Partial<Record<string, CheckStatus>>; hold?: boolean; delayMs?: number } = {}): FakeDiagnose {
  const calls: DiagnoseOptions[] = [];
  let release: () => void = () => undefined;
  const gate = options.hold ? new Promise<void>((r) => (release = r)) : Promise.resolve();
  const diagnose: Diagnose = async (o) => {
    calls.push(o);
    const report = fakeReport(o.target, options.statuses);
    report.checks.forEach((r, i) => o.onResult?.(r, { done: i + 1, total: report.checks.length }));
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
    await gate;
    return report;
  };
  return { diagnose, calls, release: () => release() };
}

/** The cluster is not touched by fake diagnoses; this source fails loudly if something reads it. */
export const NO_CLUSTER: ClusterSource = new Proxy({} as ClusterSource, {
  // 'then' must stay undefined, or `await source` would treat the proxy as a promise.
  get: (_t, prop) =>
    prop === 'then' ? undefined : prop === 'name' ? 'none' : () => Promise.reject(new Error('the fake diagnosis does not read the cluster')),
});

export function checkBlockIds(calls: SlackCall[]): string[] {
  return calls.flatMap((c) => blocksOf(c).map((b) => String(b['block_id'] ?? ''))).filter((id) => id.startsWith('check:'));
}

export function blocksOf(call: SlackCall): Record<string, unknown>[] {
  const blocks = call.args['blocks'];
  return Array.isArray(blocks) ? (blocks as Record<string, unknown>[]) : [];
}

/** Thread replies (chat.postMessage with thread_ts) holding checklist blocks. */
export function checklistCalls(slack: FakeSlack): SlackCall[] {
  return slack.callsTo('chat.postMessage').filter((c) => !c.failed && checkBlockIds([c]).length > 0);
}

export function expectedBlockIds(report: Report): string[] {
  const seen = new Map<string, number>();
  return report.checks.map((c) => {
    const n = (seen.get(c.id) ?? 0) + 1;
    seen.set(c.id, n);
    return n === 1 ? `check:${c.id}` : `check:${c.id}:${n}`;
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
