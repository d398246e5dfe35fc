/**
 * Issue 13 end to end: Alertmanager-shaped POSTs to the real app (Bolt HTTP receiver, custom route), the
 * queue on a real redis-server, the real worker and the REAL diagnose against the fake cluster, the Slack
 * stand-in; then App Home and the audit trail. In-process mode covers the refresh interval and the access file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import { startWorker, type RunningWorker } from '../../src/worker.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { startRedis, type TestRedis } from '../support/redis.js';
import { startFakeSlack, type FakeSlack, type SlackCall } from '../support/slack-api.js';
import { SLACK_TEST_IDS, sendEvent, sendSlashCommand } from '../support/slack-request.js';
import { ENCRYPTION_KEY_B64, SECRET, TEST_CLIENT_OPTIONS, blocksOf, captureLog, checkBlockIds, checklistCalls, expectedBlockIds, sleep, startTestApp, testConfig, until } from '../slack/harness.js';
import { httpbinFoo, recordingRuntime, type RecordingRuntime } from './e2e-fixture.js';

const CHANNEL = 'C0ONCALL';
const BEARER = 'am-webhook-token-7f3a9c';
const STARTS_AT = '2026-11-29T14:04:00.000Z';

let redis: TestRedis;
let slack: FakeSlack;
let kube: KubeApiServer;
let issuer: TestIssuer;
let recorded: RecordingRuntime;

beforeAll(async () => {
  [redis, slack, issuer] = await Promise.all([startRedis(), startFakeSlack(), startIssuer()]);
  kube = await startKubeApiServer({ objects: httpbinFoo(issuer), logs: {} });
  recorded = recordingRuntime(kube);
});

afterAll(async () => {
  await Promise.all([slack.close(), kube.close(), issuer.close()]);
  await redis.stop();
});

beforeEach(() => {
  slack.calls.length = 0;
  recorded.reports.length = 0;
});

/** A webhook notification as Alertmanager 0.27 sends it (notify/webhook Message, version 4). */
function notification(status: 'firing' | 'resolved', labels: Record<string, string>, fingerprint: string, endsAt = '0001-01-01T00:00:00Z'): Record<string, unknown> {
  const alert = {
    status,
    labels: { alertname: 'IstioJwtAuthFailures', severity: 'warning', ...labels },
    annotations: { summary: '38 % of requests to httpbin.foo are refused with 401/403' },
    startsAt: STARTS_AT,
    endsAt,
    generatorURL: 'http://prometheus.monitoring:9090/graph?g0.expr=…',
    fingerprint,
  };
  return {
    receiver: 'jwtcheck',
    status,
    alerts: [alert],
    groupLabels: { alertname: 'IstioJwtAuthFailures' },
    commonLabels: alert.labels,
    commonAnnotations: alert.annotations,
    externalURL: 'http://alertmanager.monitoring:9093',
    version: '4',
    groupKey: '{}/{alertname="IstioJwtAuthFailures"}:{alertname="IstioJwtAuthFailures"}',
    truncatedAlerts: 0,
  };
}

const HTTPBIN = { destination_service_name: 'httpbin', destination_service_namespace: 'foo', jwtcheck_channel: CHANNEL };

async function postAlert(url: string, body: unknown, bearer: string | null = BEARER): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

/** The newest top-level message in the incident channel (the stand-in keeps messages across tests). */
const lastParentTs = (): string | undefined => slack.messagesIn(CHANNEL).filter((m) => m.thread_ts === undefined).at(-1)?.ts;
const alertUrl = (app: { url: string }): string => app.url.replace('/slack/events', '/alertmanager');
const topLevelIn = (channel: string): SlackCall[] => slack.callsTo('chat.postMessage').filter((c) => c.args['channel'] === channel && c.args['thread_ts'] === undefined);
const finalAlertUpdate = (count = 1): Promise<void> =>
  until(
    () => recorded.reports.length >= count && slack.callsTo('chat.update').some((c) => /JWT authentication for httpbin\.foo.*: /.test(String(c.args['text'])) && String(c.args['text']).includes('IstioJwtAuthFailures')),
    20_000,
    'the alert parent with its verdict',
  );

describe('queue mode: Alertmanager → app → Redis → worker → the incident channel', () => {
  const log = captureLog('alerts-e2e');
  const workerMetrics: Metrics = createMetrics();
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let worker: RunningWorker;
  const env = { REDIS_URL: '', JOB_ENCRYPTION_KEY: ENCRYPTION_KEY_B64, JWTCHECK_ALERTMANAGER_TOKEN: BEARER };
  const startAppOnce = () => startTestApp(testConfig(slack, { ...env, REDIS_URL: redis.url }), { logger: log.logger });

  beforeAll(async () => {
    app = await startAppOnce();
    worker = await startWorker(testConfig(slack, { ...env, REDIS_URL: redis.url }, 'worker'), {
      logger: log.logger,
      health: false,
      clientOptions: TEST_CLIENT_OPTIONS,
      runtime: recorded.runtime,
      metrics: workerMetrics,
    });
  });
  afterAll(async () => {
    await worker.stop();
    await app.stop();
  });

  it('refuses a wrong or missing bearer token with 401 and posts nothing', async () => {
    expect((await postAlert(alertUrl(app), notification('firing', HTTPBIN, 'aaaa000000000001'), 'not-the-token')).status).toBe(401);
    expect((await postAlert(alertUrl(app), notification('firing', HTTPBIN, 'aaaa000000000001'), null)).status).toBe(401);
    await sleep(300);
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
    expect(log.text()).not.toContain('not-the-token');
  });

  it('answers an alert without a usable target with 200, posts nothing and logs it once', async () => {
    const res = await postAlert(alertUrl(app), notification('firing', { destination_service_name: 'unknown', namespace: 'foo', jwtcheck_channel: CHANNEL }, 'bbbb000000000002'));
    expect(res).toEqual({ status: 200, json: { outcomes: ['ignored'] } });
    await sleep(300);
    expect(slack.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    const lines = log.text().split('\n').filter((l) => l.includes('bbbb000000000002'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/alert ignored.*no usable target|no usable target.*alert ignored/);
  });

  it('firing: one parent with the alert name, summary and verdict, and the checklist in its thread, in the mapped channel', async () => {
    const res = await postAlert(alertUrl(app), notification('firing', HTTPBIN, 'cccc000000000003'));
    expect(res).toEqual({ status: 200, json: { outcomes: ['diagnosing'] } });
    await finalAlertUpdate();
    const report = recorded.reports[0]!;
    const parents = topLevelIn(CHANNEL);
    expect(parents).toHaveLength(1);
    const parentTs = lastParentTs();
    expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(report));
    expect(checklistCalls(slack).every((c) => c.args['channel'] === CHANNEL && c.args['thread_ts'] === parentTs)).toBe(true);
    // The token checks skip (an alert has no token); the rest ran against the cluster.
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('skip');
    expect(report.checks.find((c) => c.id === 'workload.service')?.status).toBe('pass');
    const last = slack.callsTo('chat.update').filter((c) => c.args['ts'] === parentTs).at(-1)!;
    const [heading, verdict] = blocksOf(last) as { block_id: string; text: { text: string } }[];
    expect(heading?.block_id).toBe('parent:alert');
    expect(heading?.text.text).toContain('*IstioJwtAuthFailures* firing — 38 % of requests to httpbin.foo are refused with 401/403');
    expect(verdict?.text.text).toContain(report.verdict.summary.slice(0, 40));

    // The audit line and the counter, written by the worker where the verdict is known.
    await until(() => log.text().includes('"audit":true'), 5000, 'the audit line');
    const audit = log.text().split('\n').filter((l) => l.includes('"audit":true')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      who: 'alertmanager',
      where: CHANNEL,
      what: { service: 'httpbin', namespace: 'foo', cluster: 'default' },
      source: 'alert',
      verdict: report.verdict.status,
      withToken: false,
      alert: 'IstioJwtAuthFailures',
    });
    expect(typeof audit[0]?.['durationMs']).toBe('number');
    expect(audit[0]?.['jobId']).toMatch(/^slack-[0-9a-f]{40}$/);
    expect(await workerMetrics.registry.metrics()).toContain(`jwtcheck_diagnoses_total{source="alert",verdict="${report.verdict.status}"} 1`);
    await until(() => slack.callsTo('chat.getPermalink').length === 1, 5000, 'the App Home entry (its link) being stored');
  });

  it('the same fingerprint firing again (repeat_interval, the HA twin) posts no new parent, also after an app restart', async () => {
    expect(await postAlert(alertUrl(app), notification('firing', HTTPBIN, 'cccc000000000003'))).toEqual({ status: 200, json: { outcomes: ['repeat'] } });
    await app.stop();
    app = await startAppOnce();
    expect(await postAlert(alertUrl(app), notification('firing', HTTPBIN, 'cccc000000000003'))).toEqual({ status: 200, json: { outcomes: ['repeat'] } });
    await sleep(500);
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
    expect(recorded.reports).toEqual([]);
  });

  it('resolved: "resolved at …" in the thread and the parent rewritten with what was found; a second resolved changes nothing', async () => {
    const parentTs = lastParentTs();
    const res = await postAlert(alertUrl(app), notification('resolved', HTTPBIN, 'cccc000000000003', '2026-11-29T14:35:00.000Z'));
    expect(res).toEqual({ status: 200, json: { outcomes: ['resolved'] } });
    const note = slack.callsTo('chat.postMessage').find((c) => c.args['thread_ts'] === parentTs);
    expect(String(note?.args['text'])).toContain('IstioJwtAuthFailures resolved at 2026-11-29 14:35 UTC');
    const update = slack.callsTo('chat.update').find((c) => c.args['ts'] === parentTs)!;
    expect(String(update.args['text'])).toMatch(/✅ \*IstioJwtAuthFailures\* resolved at 2026-11-29 14:35 UTC/);
    expect(String(update.args['text'])).toContain('While it fired, JWT authentication for httpbin.foo');
    expect(topLevelIn(CHANNEL)).toEqual([]);
    slack.calls.length = 0;
    expect(await postAlert(alertUrl(app), notification('resolved', HTTPBIN, 'cccc000000000003', '2026-11-29T14:35:00.000Z'))).toEqual({ status: 200, json: { outcomes: ['repeat'] } });
    expect(slack.calls.filter((c) => c.method.startsWith('chat.'))).toEqual([]);
  });

  it('App Home lists a diagnosis after it ran (and the alert one), with a link to its thread and a New diagnosis button', async () => {
    await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl() });
    await until(() => recorded.reports.length === 1 && log.text().split('\n').filter((l) => l.includes('"source":"slash"') && l.includes('"audit":true')).length === 1, 20_000, 'the slash diagnosis');
    // The entry is stored just after the audit line is written: open Home until it lists it.
    type HomeView = { type: string; blocks: { block_id?: string; text?: { text: string }; elements?: { action_id: string }[] }[] };
    let view: HomeView | undefined;
    let recent: string[] = [];
    await until(async () => {
      slack.calls.length = 0;
      await sendEvent(app.url, SECRET, { type: 'app_home_opened', user: SLACK_TEST_IDS.userId, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` });
      const publish = await slack.waitFor((c) => c.method === 'views.publish', 5000);
      expect(publish.args['user_id']).toBe(SLACK_TEST_IDS.userId);
      view = publish.args['view'] as HomeView;
      recent = view.blocks.filter((b) => b.block_id?.startsWith('home:recent:')).map((b) => b.text?.text ?? '');
      return recent.length === 2;
    }, 10_000, 'App Home listing the slash diagnosis');
    expect(view?.type).toBe('home');
    expect(recent).toHaveLength(2);
    expect(recent[0]).toMatch(/\*httpbin\.foo\* · <!date\^\d+\^\{date_short_pretty\} \{time\}\|[^>]+> · <https:\/\/t0team\.slack\.com\/archives\/C0INCIDENT\/p\d+\|thread>/);
    expect(recent[1]).toContain('🚨 IstioJwtAuthFailures');
    expect(view?.blocks.find((b) => b.block_id === 'home:actions')?.elements?.[0]?.action_id).toBe('jwtcheck_home_new');
    expect(JSON.stringify(view)).not.toMatch(/token/i);
    expect(await workerMetrics.registry.metrics()).toMatch(/jwtcheck_diagnoses_total\{source="slash",verdict="\w+"\} 1/);
  });
});

describe('in-process mode', () => {
  it('refreshes a still-firing alert at most once per JWTCHECK_ALERT_REFRESH, in the same thread', async () => {
    const log = captureLog('alerts-inproc');
    const app = await startTestApp(testConfig(slack, { JWTCHECK_ALERTMANAGER_TOKEN: BEARER, JWTCHECK_ALERT_REFRESH: '1s', JWTCHECK_ALERT_CHANNEL: CHANNEL }), {
      logger: log.logger,
      runtime: recorded.runtime,
    });
    try {
      // No jwtcheck_channel label: JWTCHECK_ALERT_CHANNEL; `service` + `namespace`: the fallback labels.
      const labels = { service: 'httpbin', namespace: 'foo' };
      expect((await postAlert(alertUrl(app), notification('firing', labels, 'dddd000000000004'))).json).toEqual({ outcomes: ['diagnosing'] });
      expect((await postAlert(alertUrl(app), notification('firing', labels, 'dddd000000000004'))).json).toEqual({ outcomes: ['repeat'] });
      await finalAlertUpdate();
      await (app.dispatcher as InProcessDispatcher).idle();
      await sleep(1100);
      expect((await postAlert(alertUrl(app), notification('firing', labels, 'dddd000000000004'))).json).toEqual({ outcomes: ['refreshed'] });
      expect((await postAlert(alertUrl(app), notification('firing', labels, 'dddd000000000004'))).json).toEqual({ outcomes: ['repeat'] });
      await until(() => recorded.reports.length === 2, 20_000, 'the refresh');
      await (app.dispatcher as InProcessDispatcher).idle();
      const parents = topLevelIn(CHANNEL);
      expect(parents).toHaveLength(1);
      const parentTs = lastParentTs();
      expect(slack.callsTo('chat.postMessage').some((c) => c.args['thread_ts'] === parentTs && String(c.args['text']).includes('still firing'))).toBe(true);
      expect(checkBlockIds(checklistCalls(slack))).toEqual([...expectedBlockIds(recorded.reports[0]!), ...expectedBlockIds(recorded.reports[1]!)]);
      expect(checklistCalls(slack).every((c) => c.args['thread_ts'] === parentTs)).toBe(true);
    } finally {
      await app.stop();
    }
  });

  it('applies the access file to alerts (requester "alertmanager", the alert channel) and is off (404) without a token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwtcheck-access-'));
    const file = join(dir, 'access.yaml');
    writeFileSync(file, `admins: "#platform"\nrules:\n  - channels: [C0OTHER]\n    namespaces: [foo]\n`);
    const log = captureLog('alerts-access');
    const app = await startTestApp(testConfig(slack, { JWTCHECK_ALERTMANAGER_TOKEN: BEARER, JWTCHECK_ACCESS_FILE: file }), { logger: log.logger, runtime: recorded.runtime });
    const off = await startTestApp(testConfig(slack), { logger: log.logger, runtime: recorded.runtime });
    try {
      expect((await postAlert(alertUrl(app), notification('firing', HTTPBIN, 'eeee000000000005'))).json).toEqual({ outcomes: ['ignored'] });
      expect(log.text()).toMatch(/"source":"alert".*"verdict":"denied"|"verdict":"denied".*"source":"alert"/);
      expect((await postAlert(alertUrl(off), notification('firing', HTTPBIN, 'eeee000000000006'))).status).toBe(404);
      await sleep(300);
      expect(slack.callsTo('chat.postMessage')).toEqual([]);
    } finally {
      await Promise.all([app.stop(), off.stop()]);
    }
  });
});
