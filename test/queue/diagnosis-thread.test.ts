/**
 * In-process mode (no REDIS_URL) runs each diagnosis in a worker thread, off the event loop that serves
 * Slack: a real `/jwtcheck` through the real app, the REAL diagnosis against the fake Kubernetes API, and
 * the checklist on the fake Slack API — while the app's own thread never opens a Kubernetes connection.
 */
import { sharedDispatcherCount } from '../../src/evidence/kube-dispatcher.js';
import type { InProcessDispatcher } from '../../src/queue/in-process.js';
import { captureLog, checkBlockIds, checklistCalls, startTestApp, testConfig, until, SECRET } from '../slack/harness.js';
import { httpbinFoo } from '../e2e/e2e-fixture.js';
import { startKubeApiServer, type KubeApiServer } from '../support/kube-api-server.js';
import { startIssuer, type TestIssuer } from '../support/oidc-issuer.js';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.js';
import { sendSlashCommand } from '../support/slack-request.js';

let slack: FakeSlack;
let kube: KubeApiServer;
let issuer: TestIssuer;

beforeAll(async () => {
  [slack, issuer] = await Promise.all([startFakeSlack(), startIssuer()]);
  kube = await startKubeApiServer({ objects: httpbinFoo(issuer), logs: {} });
});
afterAll(async () => {
  await Promise.all([slack.close(), kube.close(), issuer.close()]);
});

test('a slash command is diagnosed in the diagnosis thread and answered with one checklist', async () => {
  const log = captureLog('thread');
  const app = await startTestApp(testConfig(slack), { logger: log.logger, runtime: { kubeconfigYaml: kube.kubeconfigYaml, progressIntervalMs: 200 } });
  try {
    const answer = await sendSlashCommand(app.url, SECRET, { text: 'foo/httpbin', response_url: slack.responseUrl() });
    expect(answer.status).toBe(200);
    await until(() => /JWT authentication for httpbin\.foo.*: /.test(String(slack.callsTo('chat.update').at(-1)?.args['text'])), 20_000, 'final parent update');
    await (app.dispatcher as InProcessDispatcher).idle();
    const ids = checkBlockIds(checklistCalls(slack));
    expect(ids[0]).toBe('check:workload.service');
    expect(ids).toContain('check:policy.jwt-rules');
    expect(kube.requests.some((r) => r.resource === 'services' && r.namespace === 'foo')).toBe(true);
    // The Kubernetes reads were made by the thread: this one holds no connection to any cluster.
    expect(sharedDispatcherCount()).toBe(0);
    // The thread's log lines reach the app's logger.
    expect(log.text()).toMatch(/"thread":"diagnosis".*"msg":"diagnosis reported"/);
  } finally {
    await app.stop();
  }
});

test('a diagnosis the thread never finishes (it died mid-job) still ends in a sentence to the requester', async () => {
  const log = captureLog('thread-lost');
  // The Service read hangs: the job is in the thread when the thread goes away.
  kube.setFixture({ objects: httpbinFoo(issuer), logs: {}, failing: [{ pattern: 'get services foo', status: 'hang' }] });
  const app = await startTestApp(testConfig(slack), { logger: log.logger, runtime: { kubeconfigYaml: kube.kubeconfigYaml, progressIntervalMs: 200 } });
  try {
    slack.calls.length = 0;
    await sendSlashCommand(app.url, SECRET, { text: 'foo/httpbin', response_url: slack.responseUrl() });
    await until(() => kube.requests.some((r) => r.resource === 'services' && r.namespace === 'foo'), 20_000, 'the hanging Service read');
    // The thread dies with the job in it (as on a crash): terminate it directly, not via the dispatcher's close.
    const thread = (app.dispatcher as unknown as { options: { thread: { close(): Promise<void> } } }).options.thread;
    await thread.close();
    await until(() => slack.callsTo('chat.postMessage').some((c) => /stopped before it finished/.test(String(c.args['text']))), 5_000, 'the notice');
    const notice = slack.callsTo('chat.postMessage').find((c) => /stopped before it finished/.test(String(c.args['text'])));
    expect(String(notice?.args['text'])).toMatch(/^🛑 The check of httpbin\.foo stopped before it finished \(the diagnosis thread exited.*\)\. Run it again with `\/jwtcheck httpbin foo`/);
  } finally {
    await app.stop();
    kube.setFixture({ objects: httpbinFoo(issuer), logs: {} });
  }
});
