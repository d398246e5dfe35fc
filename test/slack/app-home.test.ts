/**
 * App Home through the real Bolt receiver (in-process mode): the Home tab lists nothing at first, its
 * "New diagnosis" button opens a form without a token field, the submitted form runs the diagnosis in the
 * user's DM with the bot (source `home` in the audit line), and the Home tab then lists it.
 */
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import { FAKE_SLACK_IDS, startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { SLACK_TEST_IDS, sendEvent, sendInteraction } from '../support/slack-request.js';
import { NO_CLUSTER, SECRET, captureLog, fakeDiagnose, startTestApp, testConfig, until } from './harness.js';

let slack: FakeSlack;
let app: Awaited<ReturnType<typeof startTestApp>>;
const fake = fakeDiagnose({ statuses: { 'issuer.discovery': 'fail' } });
const log = captureLog('app-home');

beforeAll(async () => {
  slack = await startFakeSlack();
  app = await startTestApp(testConfig(slack), { logger: log.logger, runtime: { diagnose: fake.diagnose, openSource: () => NO_CLUSTER, progressIntervalMs: 50 } });
});
afterAll(async () => {
  await app.stop();
  await slack.close();
});

const openHome = async (): Promise<{ block_id?: string; text?: { text: string } }[]> => {
  slack.calls.length = 0;
  await sendEvent(app.url, SECRET, { type: 'app_home_opened', user: SLACK_TEST_IDS.userId, channel: FAKE_SLACK_IDS.dmChannel, tab: 'home', event_ts: `${Date.now() / 1000}` });
  const publish = await slack.waitFor((c) => c.method === 'views.publish', 3000);
  expect(publish.args['user_id']).toBe(SLACK_TEST_IDS.userId);
  return (publish.args['view'] as { blocks: { block_id?: string; text?: { text: string } }[] }).blocks;
};

it('lists nothing, opens a token-free form, runs it in the DM, then lists it', async () => {
  expect((await openHome()).find((b) => b.block_id === 'home:empty')).toBeDefined();

  await sendInteraction(app.url, SECRET, {
    type: 'block_actions',
    user: { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId },
    team: { id: SLACK_TEST_IDS.teamId },
    container: { type: 'view', view_id: 'V0HOME' },
    view: { id: 'V0HOME', type: 'home' },
    trigger_id: '222.home',
    actions: [{ type: 'button', action_id: 'jwtcheck_home_new', block_id: 'home:actions', action_ts: '1' }],
  });
  const opened = await slack.waitFor((c) => c.method === 'views.open');
  const view = opened.args['view'] as { callback_id: string; blocks: { block_id: string }[] };
  expect(view.callback_id).toBe('jwtcheck_home_modal');
  expect(view.blocks.filter((b) => b.block_id !== 'home:modal:note').map((b) => b.block_id)).toEqual(['service', 'namespace', 'cluster']);

  const submit = (service: string) =>
    sendInteraction(app.url, SECRET, {
      type: 'view_submission',
      user: { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId },
      team: { id: SLACK_TEST_IDS.teamId },
      trigger_id: '223.submit',
      view: {
        id: 'V0MODAL',
        hash: `h-${service}`,
        type: 'modal',
        callback_id: view.callback_id,
        private_metadata: '',
        state: { values: { service: { value: { type: 'plain_text_input', value: service } }, namespace: { value: { type: 'plain_text_input', value: 'foo' } }, cluster: { value: { type: 'plain_text_input', value: null } } } },
      },
    });
  expect((await submit('Bad_Name')).json).toEqual({ response_action: 'errors', errors: { service: expect.stringContaining('Service name') } });
  expect((await submit('httpbin')).status).toBe(200);
  await until(() => fake.calls.length === 1, 3000, 'the diagnosis from App Home');
  await (app.dispatcher as InProcessDispatcher).idle();
  const parent = slack.callsTo('chat.postMessage').find((c) => String(c.args['text']).includes('🔎'));
  expect(parent?.args['channel']).toBe(FAKE_SLACK_IDS.dmChannel);
  const audit = log.text().split('\n').filter((l) => l.includes('"audit":true'));
  expect(audit).toHaveLength(1);
  expect(JSON.parse(audit[0]!)).toMatchObject({ who: SLACK_TEST_IDS.userId, where: FAKE_SLACK_IDS.dmChannel, source: 'home', verdict: 'fail' });

  const listed = (await openHome()).filter((b) => b.block_id?.startsWith('home:recent:'));
  expect(listed).toHaveLength(1);
  expect(listed[0]?.text?.text).toMatch(/^❌ \*httpbin\.foo\* · <!date\^\d+\^/);
  expect(listed[0]?.text?.text).toContain(`archives/${FAKE_SLACK_IDS.dmChannel}/p`);
});
