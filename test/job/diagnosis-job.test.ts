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
