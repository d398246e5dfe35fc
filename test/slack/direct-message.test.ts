/**
 * DMs, the one place a token is typed: decode, "Check against a service" (button → modal → diagnosis),
 * `<service> <namespace> <token>`, garbage. The token must never come back in any Slack call or log.
 */
import { SignJWT, generateKeyPair } from 'jose';
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import { FAKE_SLACK_IDS, startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { SLACK_TEST_IDS, checkTokenSubmission, sendEvent, sendInteraction } from '../support/slack-request.js';
import { NO_CLUSTER, SECRET, blocksOf, captureLog, checklistCalls, fakeDiagnose, startTestApp, testConfig, until } from './harness.js';

const DM = FAKE_SLACK_IDS.dmChannel;
let slack: FakeSlack;
let app: Awaited<ReturnType<typeof startTestApp>>;
let token: string;
const fake = fakeDiagnose();
const log = captureLog();

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp(testConfig(slack), {
    logger: log.logger,
    runtime: { diagnose: fake.diagnose, openSource: () => NO_CLUSTER, progressIntervalMs: 50 },
  });
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  token = await new SignJWT({ sub: 'alice', aud: 'httpbin' })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1', typ: 'JWT' })
    .setIssuer('https://issuer.example')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + 2 * 3600)
    .sign(privateKey);
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
const dm = (text: string, ts: string) =>
  sendEvent(app.url, SECRET, { type: 'message', channel: DM, channel_type: 'im', user: SLACK_TEST_IDS.userId, text, ts, team: SLACK_TEST_IDS.teamId });
const signature = () => token.split('.')[2] ?? '';

function expectNoToken(): void {
  const everything = JSON.stringify(slack.calls);
  expect(everything).not.toContain(signature());
  expect(everything).not.toContain(token.split('.')[1]);
  expect(log.text()).not.toContain(signature());
}

describe('a DM holding just a token', () => {
  it('replies in thread with header, claims, expiry in words and a button — never the token', async () => {
    await dm(token, '1700000100.000001');
    const reply = await slack.waitFor((c) => c.method === 'chat.postMessage');
    expect(reply.args['channel']).toBe(DM);
    expect(reply.args['thread_ts']).toBe('1700000100.000001');
    const text = JSON.stringify(blocksOf(reply));
    expect(text).toContain('https://issuer.example');
    expect(text).toContain('key-1');
    expect(text).toMatch(/expires in (1 h|2 h|119 min|120 min)/);
    const button = blocksOf(reply).flatMap((b) => (b['elements'] as Record<string, unknown>[] | undefined) ?? []).find((e) => e['action_id'] === 'jwtcheck_check_token');
    expect(button).toBeDefined();
    expect(String(button?.['value'])).not.toContain('eyJ');
    expectNoToken();

    // The button opens a modal; submitting it runs the diagnosis with the token, in the same DM thread.
    await sendInteraction(app.url, SECRET, {
      type: 'block_actions',
      user: { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId },
      team: { id: SLACK_TEST_IDS.teamId },
      channel: { id: DM },
      container: { type: 'message', channel_id: DM, message_ts: '1700000000.000100' },
      message: { ts: '1700000000.000100', thread_ts: '1700000100.000001', text: 'x' },
      trigger_id: '111.modal',
      response_url: slack.responseUrl('btn'),
      actions: [{ type: 'button', action_id: 'jwtcheck_check_token', block_id: 'token:actions', value: button?.['value'], action_ts: '1' }],
    });
    const opened = await slack.waitFor((c) => c.method === 'views.open');
    const view = opened.args['view'] as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('jwtcheck_check_token_modal');
    expect(view.private_metadata).not.toContain('eyJ');

    const submit = (service: string, user: string = SLACK_TEST_IDS.userId) =>
      sendInteraction(app.url, SECRET, { ...checkTokenSubmission(view, service), user: { id: user, team_id: SLACK_TEST_IDS.teamId } });
    const invalid = await submit('Not_Valid');
    expect(invalid.json).toEqual({ response_action: 'errors', errors: { service: expect.stringContaining('Service name') } });
    // The form's token belongs to whoever pasted it: another user's (signed) submission must not run it.
    const stolen = await submit('httpbin', 'U0MALLORY');
    expect(stolen.json).toEqual({ response_action: 'errors', errors: { service: expect.stringContaining('someone else') } });
    await idle();
    expect(fake.calls).toHaveLength(0);
    const ok = await submit('httpbin');
    expect(ok.status).toBe(200);
    await until(() => fake.calls.length === 1, 3000, 'diagnosis from the modal');
    await idle();
    expect(fake.calls[0]?.token).toBe(token);
    expect(fake.calls[0]?.target).toEqual({ service: 'httpbin', namespace: 'foo', cluster: 'default' });
    const parent = slack.callsTo('chat.postMessage').find((c) => String(c.args['text']).includes('🔎'));
    expect(parent?.args['thread_ts']).toBe('1700000100.000001');
    expect(checklistCalls(slack).every((c) => c.args['thread_ts'] === '1700000100.000001')).toBe(true);
    expectNoToken();
  });
});

describe('a DM with service, namespace and token', () => {
  it('runs the diagnosis with that token and replies in its thread, whatever the order', async () => {
    await dm(`${token} httpbin foo`, '1700000200.000001');
    await until(() => fake.calls.length === 1, 3000, 'diagnosis');
    await idle();
    expect(fake.calls[0]?.token).toBe(token);
    const posts = slack.callsTo('chat.postMessage');
    expect(posts.length).toBeGreaterThan(1);
    expect(posts.every((c) => c.args['channel'] === DM && c.args['thread_ts'] === '1700000200.000001')).toBe(true);
    const last = slack.callsTo('chat.update').at(-1);
    expect(String(last?.args['text'])).toContain('(with your token)');
    expectNoToken();
  });
});

describe('a DM holding just a token, re-delivered by Slack (X-Slack-Retry-Num: 1)', () => {
  it('is decoded on the first delivery only', async () => {
    await dm(token, '1700000350.000001');
    await slack.waitFor((c) => c.method === 'chat.postMessage');
    await sendEvent(app.url, SECRET, { type: 'message', channel: DM, channel_type: 'im', user: SLACK_TEST_IDS.userId, text: token, ts: '1700000350.000001', team: SLACK_TEST_IDS.teamId }, { retryNum: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
  });
});

describe('a DM Slack delivers twice', () => {
  it('runs once', async () => {
    await dm(`httpbin foo ${token}`, '1700000300.000001');
    await dm(`httpbin foo ${token}`, '1700000300.000001');
    await until(() => fake.calls.length >= 1, 3000);
    await idle();
    expect(fake.calls).toHaveLength(1);
  });
});

describe('a DM the bot cannot read', () => {
  it.each([
    ['what is wrong with my auth?', 'neither a token nor a service'],
    ['eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'not a usable JWT'],
    // A real JWT header with a broken payload is a token to the shared detector (lib/jwt-shape.ts): the
    // sender learns what is wrong with it rather than that it is not a token at all.
    ['eyJhbGciOiJSUzI1NiJ9.!!!notbase64!!!.c2lnbmF0dXJl', 'not a usable JWT: Jwt payload is an invalid Base64url'],
  ])('answers %j with a clear sentence', async (text, words) => {
    await dm(text, `1700000400.00000${text.length % 10}`);
    const reply = await slack.waitFor((c) => c.method === 'chat.postMessage');
    expect(String(reply.args['text'])).toContain(words);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('malformed payloads', () => {
  it('a DM event whose text is not a string: acknowledged, one log line, nothing thrown or posted', async () => {
    const res = await sendEvent(app.url, SECRET, { type: 'message', channel: DM, channel_type: 'im', user: SLACK_TEST_IDS.userId, text: { not: 'a string' }, ts: '1700000500.000001' });
    expect(res.status).toBe(200);
    await until(() => log.text().includes('malformed Slack payload'), 2000, 'the log line');
    await new Promise((r) => setTimeout(r, 100));
    expect(log.text()).not.toMatch(/bolt error|slack handler failed/);
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('a view submission without view.state: answered at once, one log line, nothing thrown or run', async () => {
    const res = await sendInteraction(app.url, SECRET, {
      type: 'view_submission',
      user: { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId },
      team: { id: SLACK_TEST_IDS.teamId },
      trigger_id: '113.submit',
      view: { id: 'V0VIEW', type: 'modal', callback_id: 'jwtcheck_check_token_modal', private_metadata: '{}' },
    });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(1000);
    expect(log.text()).toContain('malformed Slack payload');
    expect(log.text()).not.toMatch(/bolt error|slack handler failed/);
    expect(fake.calls).toHaveLength(0);
  });
});
