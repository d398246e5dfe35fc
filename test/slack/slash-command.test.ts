/**
 * The app as users meet it, in-process mode (no REDIS_URL): signed requests to the real Bolt receiver,
 * the fake Slack API records what the bot posts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import { FAKE_SLACK_IDS, startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { SLACK_TEST_IDS, sendEvent, sendInteraction, sendSlashCommand } from '../support/slack-request.js';
import {
  SECRET,
  NO_CLUSTER,
  blocksOf,
  captureLog,
  checkBlockIds,
  checklistCalls,
  expectedBlockIds,
  fakeDiagnose,
  fakeReport,
  startTestApp,
  testConfig,
  until,
} from './harness.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoidSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

let slack: FakeSlack;
let app: Awaited<ReturnType<typeof startTestApp>>;
const fake = fakeDiagnose({ statuses: { 'issuer.discovery': 'fail', 'policy.require-token': 'warn' } });
const log = captureLog();

beforeAll(async () => {
  slack = await startFakeSlack();
  const dir = mkdtempSync(join(tmpdir(), 'jwtcheck-access-'));
  const accessFile = join(dir, 'access.yaml');
  writeFileSync(accessFile, 'admins: "#platform-team"\nrules:\n  - namespaces: ["foo", "team-*"]\n  - channels: [dm]\n    namespaces: ["*"]\n');
  app = await startTestApp(testConfig(slack, { JWTCHECK_ACCESS_FILE: accessFile }), {
    logger: log.logger,
    runtime: { diagnose: fake.diagnose, openSource: () => NO_CLUSTER, progressIntervalMs: 50 },
  });
});

afterAll(async () => {
  await app.stop();
  await slack.close();
});

beforeEach(() => {
  slack.calls.length = 0;
  fake.calls.length = 0;
});

const idle = () => (app.dispatcher as InProcessDispatcher).idle();

describe('/jwtcheck', () => {
  it('acks at once with an ephemeral line, then posts a parent and a threaded checklist', async () => {
    const res = await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo', response_url: slack.responseUrl('r1') });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('Checking httpbin.foo') });
    expect(res.ms).toBeLessThan(500);
    console.log(`ack latency (in-process mode): ${res.ms.toFixed(1)} ms`);

    await until(() => fake.calls.length === 1, 3000, 'diagnose');
    await idle();
    const posts = slack.callsTo('chat.postMessage');
    const parent = posts[0];
    expect(parent?.args['channel']).toBe(SLACK_TEST_IDS.channelId);
    expect(parent?.args['thread_ts']).toBeUndefined();
    expect(String(parent?.args['text'])).toContain('🔎 Checking JWT authentication for httpbin.foo');

    const replies = posts.slice(1);
    for (const r of replies) expect(r.args['thread_ts']).toBe('1700000000.000100');
    // The summary (problems first) comes before the checklist, which is in catalogue order.
    expect(String(replies[0]?.args['text'])).toContain('need attention');
    const summaryText = JSON.stringify(blocksOf(replies[0]!));
    expect(summaryText.indexOf('❌')).toBeLessThan(summaryText.indexOf('⚠️'));
    const report = fakeReport({ service: 'httpbin', namespace: 'foo', cluster: 'default' }, { 'issuer.discovery': 'fail', 'policy.require-token': 'warn' });
    expect(checkBlockIds(replies)).toEqual(expectedBlockIds(report));
    expect(checkBlockIds(replies)).toContain('check:token.issuer:2');
    const discovery = replies.flatMap(blocksOf).find((b) => b['block_id'] === 'check:issuer.discovery') as { text: { text: string } };
    expect(discovery.text.text.startsWith('❌ *Title of issuer.discovery*')).toBe(true);
    expect(discovery.text.text).toContain('*Fix:* Fix for issuer.discovery');

    const updates = slack.callsTo('chat.update');
    const last = updates[updates.length - 1];
    expect(last?.args['ts']).toBe('1700000000.000100');
    expect(String(last?.args['text'])).toContain('❌ JWT authentication for httpbin.foo: a check failed');
    const button = blocksOf(last!).flatMap((b) => (b['elements'] as Record<string, unknown>[] | undefined) ?? []).find((e) => e['action_id'] === 'jwtcheck_rerun');
    expect(JSON.parse(String(button?.['value']))).toEqual({ service: 'httpbin', namespace: 'foo', cluster: 'default' });
    // Progress updates are throttled: far fewer than one per result.
    expect(updates.length).toBeLessThan(report.checks.length / 2);
  });

  it.each([
    ['', 'Tell me which service'],
    ['httpbin', 'Give both the service and its namespace'],
    ['httpbin foo --force', 'Unknown option'],
    ['Httpbin foo', 'not a valid Service name'],
  ])('answers bad arguments %j with an ephemeral usage line and starts nothing', async (text, words) => {
    const res = await sendSlashCommand(app.url, SECRET, { text, response_url: slack.responseUrl() });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ response_type: 'ephemeral', text: expect.stringContaining(words) });
    expect((res.json as { text: string }).text).toContain('Usage:');
    await idle();
    expect(fake.calls).toHaveLength(0);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('answers help', async () => {
    const res = await sendSlashCommand(app.url, SECRET, { text: 'help' });
    expect((res.json as { text: string }).text).toContain('direct message');
  });

  it('refuses a pasted token as leaked, runs nothing and never repeats it', async () => {
    const res = await sendSlashCommand(app.url, SECRET, { text: `httpbin foo ${JWT}`, response_url: slack.responseUrl() });
    expect(res.json).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('rotate it') });
    expect(res.body).not.toContain('eyJ');
    await idle();
    expect(fake.calls).toHaveLength(0);
    expect(JSON.stringify(slack.calls)).not.toContain(JWT.slice(0, 20));
    expect(log.text()).not.toContain(JWT.slice(20, 60));
  });

  it('refuses by the access file, naming who may change it', async () => {
    const res = await sendSlashCommand(app.url, SECRET, { text: 'httpbin kube-system', response_url: slack.responseUrl() });
    expect(res.json).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('ask #platform-team to change it') });
    await idle();
    expect(fake.calls).toHaveLength(0);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('counts as "dm" only the bot\'s own DM with the user, not a DM between people', async () => {
    const between = await sendSlashCommand(app.url, SECRET, { text: 'httpbin kube-system', channel_id: 'D0PEOPLE', channel_name: 'directmessage', response_url: slack.responseUrl() });
    expect(between.json).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('not allowed') });
    const withBot = await sendSlashCommand(app.url, SECRET, { text: 'httpbin kube-system', channel_id: FAKE_SLACK_IDS.dmChannel, channel_name: 'directmessage', response_url: slack.responseUrl() });
    expect(withBot.json).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('Checking httpbin.kube-system') });
    await until(() => fake.calls.length === 1, 3000, 'the DM diagnosis');
    await idle();
    expect(slack.callsTo('conversations.open')[0]?.args['users']).toBe(SLACK_TEST_IDS.userId);
  });

  it('answers 401 to a bad signature, a tampered body and a stale timestamp, and runs nothing', async () => {
    const bad = await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo' }, { signature: 'v0=deadbeef' });
    const tampered = await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo' }, { tamper: true });
    const stale = await sendSlashCommand(app.url, SECRET, { text: 'httpbin foo' }, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect([bad.status, tampered.status, stale.status]).toEqual([401, 401, 401]);
    await idle();
    expect(fake.calls).toHaveLength(0);
    expect(slack.calls).toHaveLength(0);
  });

  it('refuses a correctly signed request from the future (more than 5 minutes ahead), accepts one 4 minutes ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    const hourAhead = await sendSlashCommand(app.url, SECRET, { text: 'help' }, { timestamp: now + 60 * 60 });
    const sixAhead = await sendSlashCommand(app.url, SECRET, { text: 'help' }, { timestamp: now + 6 * 60 });
    const fourAhead = await sendSlashCommand(app.url, SECRET, { text: 'help' }, { timestamp: now + 4 * 60 });
    expect([hourAhead.status, sixAhead.status, fourAhead.status]).toEqual([401, 401, 200]);
    expect(log.text()).toMatch(/"reason":"timestamp 3[56]\d\d s away from now"/);
  });

  it('runs a request delivered twice only once', async () => {
    const fields = { text: 'httpbin foo', trigger_id: '123.same', response_url: slack.responseUrl() };
    await sendSlashCommand(app.url, SECRET, fields);
    await sendSlashCommand(app.url, SECRET, fields);
    await until(() => fake.calls.length >= 1, 3000);
    await idle();
    expect(fake.calls).toHaveLength(1);
  });

  it('re-runs from the button', async () => {
    const res = await sendInteraction(app.url, SECRET, {
      type: 'block_actions',
      user: { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId },
      team: { id: SLACK_TEST_IDS.teamId },
      channel: { id: SLACK_TEST_IDS.channelId },
      container: { type: 'message', channel_id: SLACK_TEST_IDS.channelId, message_ts: '1700000000.000100' },
      message: { ts: '1700000000.000100', text: 'x' },
      trigger_id: '999.rerun',
      response_url: slack.responseUrl('rerun'),
      actions: [{ type: 'button', action_id: 'jwtcheck_rerun', block_id: 'parent:actions', value: JSON.stringify({ service: 'httpbin', namespace: 'foo', cluster: 'default' }), action_ts: '1' }],
    });
    expect(res.status).toBe(200);
    await until(() => fake.calls.length === 1, 3000, 're-run diagnosis');
    await idle();
    expect(fake.calls[0]?.target).toEqual({ service: 'httpbin', namespace: 'foo', cluster: 'default' });
    expect(fake.calls[0]?.token).toBeUndefined();
    expect(checklistCalls(slack).length).toBeGreaterThan(0);
  });
});

describe('a token pasted in a channel', () => {
  it('gets the sender an ephemeral warning and is never echoed', async () => {
    const res = await sendEvent(app.url, SECRET, {
      type: 'message', channel: SLACK_TEST_IDS.channelId, channel_type: 'channel', user: SLACK_TEST_IDS.userId, text: `curl -H "Authorization: Bearer ${JWT}"`, ts: '1700000001.000001',
    });
    expect(res.status).toBe(200);
    const warning = await slack.waitFor((c) => c.method === 'chat.postEphemeral');
    expect(warning.args['user']).toBe(SLACK_TEST_IDS.userId);
    expect(String(warning.args['text'])).toContain('rotate the token');
    expect(JSON.stringify(slack.calls)).not.toContain('eyJhbGci');
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('warns once when Slack re-delivers the message (X-Slack-Retry-Num: 1)', async () => {
    const event = { type: 'message', channel: SLACK_TEST_IDS.channelId, channel_type: 'channel', user: SLACK_TEST_IDS.userId, text: `Bearer ${JWT}`, ts: '1700000001.000003' };
    await sendEvent(app.url, SECRET, event);
    await slack.waitFor((c) => c.method === 'chat.postEphemeral');
    await sendEvent(app.url, SECRET, event, { retryNum: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(slack.callsTo('chat.postEphemeral')).toHaveLength(1);
  });

  it('logs a message whose text is not a string once and carries on', async () => {
    const res = await sendEvent(app.url, SECRET, { type: 'message', channel: SLACK_TEST_IDS.channelId, channel_type: 'channel', user: SLACK_TEST_IDS.userId, text: ['x'], ts: '1700000001.000004' });
    expect(res.status).toBe(200);
    await until(() => log.text().includes('"surface":"message.channels"'), 2000, 'the log line');
    expect(log.text()).not.toMatch(/bolt error/);
  });

  it('ignores ordinary channel messages', async () => {
    await sendEvent(app.url, SECRET, { type: 'message', channel: SLACK_TEST_IDS.channelId, channel_type: 'channel', user: SLACK_TEST_IDS.userId, text: 'httpbin.foo is down', ts: '1700000001.000002' });
    await new Promise((r) => setTimeout(r, 100));
    expect(slack.calls).toHaveLength(0);
  });
});
