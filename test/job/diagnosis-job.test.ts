/** The job handler's ways of ending without a report: each still ends with a sentence in Slack. */
import { WebClient } from '@slack/web-api';
import { runDiagnosisJob, type DiagnosisRuntime, type JobSlackState } from '../../src/job/diagnosis-job.js';
import { JwtcheckError } from '../../src/errors.js';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { NO_CLUSTER, captureLog, fakeDiagnose } from '../slack/harness.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(() => slack.close());
beforeEach(() => {
  slack.calls.length = 0;
});

const data = {
  target: { service: 'httpbin', namespace: 'foo', cluster: 'prod' },
  requestedBy: { team: 'T0TEAM', user: 'U0ALICE', channel: 'C0INCIDENT' },
  replyTo: { channel: 'C0INCIDENT' },
};

function runtime(over: Partial<DiagnosisRuntime> = {}): DiagnosisRuntime {
  return {
    client: new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } }),
    diagnose: fakeDiagnose().diagnose,
    openSource: () => NO_CLUSTER,
    createFetcher: () => ({ fetch: () => Promise.reject(new Error('unused')) }),
    rootNamespace: 'istio-system',
    logLines: 10,
    fetchTimeoutMs: 1000,
    logger: captureLog().logger,
    ...over,
  };
}

function memoryStore() {
  let state: JobSlackState | undefined;
  return { load: async () => state, save: async (s: JobSlackState) => void (state = { ...s, replies: [...s.replies] }), get: () => state };
}

it('ends with a clear message when the diagnosis cannot run (unknown kube context)', async () => {
  const store = memoryStore();
  const message = 'The kube context "prod" is not in the kubeconfig (known: test): pass one of those names to --cluster.';
  const outcome = await runDiagnosisJob(data, runtime({ openSource: () => { throw new JwtcheckError('config', message); } }), { jobId: 'j1', store, finalAttempt: false });
  expect(outcome).toEqual({ kind: 'could-not-run', message });
  const reply = slack.callsTo('chat.postMessage').find((c) => c.args['thread_ts'] !== undefined);
  expect(String(reply?.args['text'])).toContain(message);
  expect(String(slack.callsTo('chat.update').at(-1)?.args['text'])).toContain('🛑 Could not check JWT authentication');
  expect(store.get()?.finished).toBe(true);
  // A later attempt of the same job posts nothing more.
  slack.calls.length = 0;
  expect(await runDiagnosisJob(data, runtime(), { jobId: 'j1', store, finalAttempt: true })).toEqual({ kind: 'already-done' });
  expect(slack.calls).toHaveLength(0);
});

it('tells the requester in a DM when the bot may not post in the channel', async () => {
  slack.failNext('chat.postMessage', { error: 'not_in_channel' });
  const outcome = await runDiagnosisJob(data, runtime(), { jobId: 'j2', store: memoryStore(), finalAttempt: false });
  expect(outcome.kind).toBe('could-not-run');
  const dm = slack.callsTo('chat.postMessage').find((c) => c.args['channel'] === 'U0ALICE');
  expect(String(dm?.args['text'])).toContain('/invite @jwtcheck');
});

it('rethrows an unexpected error for a retry, and reports it on the last attempt', async () => {
  const boom = runtime({ diagnose: () => Promise.reject(new Error('socket hang up')) });
  await expect(runDiagnosisJob(data, boom, { jobId: 'j3', store: memoryStore(), finalAttempt: false })).rejects.toThrow('socket hang up');
  slack.calls.length = 0;
  const outcome = await runDiagnosisJob(data, boom, { jobId: 'j4', store: memoryStore(), finalAttempt: true });
  expect(outcome.kind).toBe('could-not-run');
  expect(String(slack.callsTo('chat.update').at(-1)?.args['text'])).toContain('unexpected error (socket hang up)');
});

describe('a chat.postMessage that reached Slack but whose answer was lost', () => {
  const inChannel = () => slack.messagesIn('C0INCIDENT').filter((m) => m.thread_ts === undefined);
  const finalText = (ts: string) => slack.callsTo('chat.update').filter((c) => c.args['ts'] === ts).at(-1)?.args['text'];

  it('twice inside the WebClient\'s own retries: one parent remains and it ends final', async () => {
    slack.failNext('chat.postMessage', { status: 500, afterPosting: true }, 2);
    const retrying = new WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 20 } });
    const outcome = await runDiagnosisJob({ ...data, target: { ...data.target, service: 'dup-a' } }, runtime({ client: retrying }), { jobId: 'dup-a', store: memoryStore(), finalAttempt: false });
    expect(outcome.kind).toBe('reported');
    const parents = inChannel().filter((m) => JSON.stringify(m.metadata).includes('dup-a'));
    expect(parents).toHaveLength(1);
    expect(String(finalText(parents[0]?.ts ?? ''))).toContain('no problem found');
  });

  it('found at once when the conversation can be read; otherwise the job\'s retry finds it instead of posting another', async () => {
    slack.failNext('chat.postMessage', { status: 500, afterPosting: true });
    slack.failNext('conversations.history', { status: 500 }); // this attempt cannot look: it fails, the retry must
    const store = memoryStore();
    const job = { ...data, target: { ...data.target, service: 'dup-b' } };
    await expect(runDiagnosisJob(job, runtime(), { jobId: 'dup-b', store, finalAttempt: false })).rejects.toThrow();
    const outcome = await runDiagnosisJob(job, runtime(), { jobId: 'dup-b', store, finalAttempt: true });
    expect(outcome.kind).toBe('reported');
    const parents = inChannel().filter((m) => JSON.stringify(m.metadata).includes('dup-b'));
    expect(parents).toHaveLength(1);
    expect(store.get()?.parentTs).toBe(parents[0]?.ts);
    expect(String(finalText(parents[0]?.ts ?? ''))).toContain('no problem found');
  });

  it('a job that fails for good after its parent was posted: the parent names the failure and offers Re-run', async () => {
    // The diagnosis succeeds, but every thread reply fails: the last attempt must still finish the parent.
    const fake = fakeDiagnose();
    const diagnose: typeof fake.diagnose = async (o) => {
      slack.failNext('chat.postMessage', { status: 500 }, 10);
      return fake.diagnose(o);
    };
    const store = memoryStore();
    const outcome = await runDiagnosisJob({ ...data, target: { ...data.target, service: 'dup-c' } }, runtime({ diagnose }), { jobId: 'dup-c', store, finalAttempt: true });
    expect(outcome.kind).toBe('could-not-run');
    const last = slack.callsTo('chat.update').filter((c) => c.args['ts'] === store.get()?.parentTs).at(-1);
    expect(String(last?.args['text'])).toMatch(/Could not check JWT authentication for dup-c\.foo.*could not post the results/);
    expect(JSON.stringify(last?.args['blocks'])).toContain('jwtcheck_rerun');
    expect(store.get()?.finished).toBe(true);
    slack.calls.length = 0;
  });
});
