/**
 * What the HTTP and the Socket Mode end-to-end suites share: the httpbin/foo cluster (the seed's case,
 * healthy), a runtime that runs the REAL diagnose and keeps each report, and the checklist assertions.
 * Not a test file.
 */
import type { Redis } from 'ioredis';
import { CHECK_IDS } from '../../src/checks/index.js';
import type { DiagnoseOptions } from '../../src/diagnose.js';
import type { Report } from '../../src/engine/report.js';
import type { KubeObject } from '../../src/model/index.js';
import type { RuntimeOverrides } from '../../src/job/runtime.js';
import { MAX_BLOCKS_PER_MESSAGE } from '../../src/render/slack-blocks.js';
import { blocksOf, checkBlockIds, checklistCalls, expectedBlockIds, until } from '../slack/harness.js';
import type { KubeApiServer } from '../support/kube-api-server.js';
import type { TestIssuer } from '../support/oidc-issuer.js';
import type { FakeSlack } from '../support/slack-api.js';

export function httpbinFoo(issuer: TestIssuer): KubeObject[] {
  const pod = (name: string, namespace: string, labels: Record<string, string>, containers: { name: string; image: string }[]): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: containers.map((c) => ({ name: c.name, ready: true, restartCount: 0, state: { running: {} } })),
    },
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'foo', labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'httpbin', namespace: 'foo', labels: { app: 'httpbin' } },
      spec: { selector: { app: 'httpbin' }, ports: [{ name: 'http', port: 8000, targetPort: 80, protocol: 'TCP' }] },
    },
    pod('httpbin-7d9c5b8f4-abcde', 'foo', { app: 'httpbin' }, [
      { name: 'httpbin', image: 'docker.io/kong/httpbin' },
      { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.22.3' },
    ]),
    pod('istiod-5d4f9c7b8-xk2lp', 'istio-system', { app: 'istiod', istio: 'pilot' }, [{ name: 'discovery', image: 'docker.io/istio/pilot:1.22.3' }]),
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: { name: 'jwt-example', namespace: 'foo' },
      spec: { selector: { matchLabels: { app: 'httpbin' } }, jwtRules: [{ issuer: issuer.issuer, jwksUri: issuer.jwksUri }] },
    },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'require-jwt', namespace: 'foo' },
      spec: { selector: { matchLabels: { app: 'httpbin' } }, action: 'ALLOW', rules: [{ from: [{ source: { requestPrincipals: [`${issuer.issuer}/*`] } }] }] },
    },
  ];
}

export interface RecordingRuntime {
  runtime: RuntimeOverrides;
  reports: Report[];
  tokensSeen: (string | undefined)[];
  /** Set to hold the next diagnoses until the promise settles (to act "mid-run"). */
  gate: { wait?: Promise<void> };
}

/** The real engine against the fake cluster; every report is kept for the assertions. */
export function recordingRuntime(kube: KubeApiServer): RecordingRuntime {
  const reports: Report[] = [];
  const tokensSeen: (string | undefined)[] = [];
  const gate: RecordingRuntime['gate'] = {};
  return {
    reports,
    tokensSeen,
    gate,
    runtime: {
      kubeconfigYaml: kube.kubeconfigYaml,
      progressIntervalMs: 200,
      diagnose: async (options: DiagnoseOptions) => {
        const { diagnose } = await import('../../src/diagnose.js'); // the real engine
        tokensSeen.push(options.token);
        await gate.wait;
        const report = await diagnose(options);
        reports.push(report);
        return report;
      },
    },
  };
}

/** The parent's last edit carries the verdict once the diagnosis has ended. */
export function finalUpdate(slack: FakeSlack, recorded: RecordingRuntime, count = 1): Promise<void> {
  return until(
    () => /JWT authentication for httpbin\.foo.*: /.test(String(slack.callsTo('chat.update').at(-1)?.args['text'])) && recorded.reports.length >= count,
    20_000,
    'final parent update',
  );
}

/** One parent, and a thread holding every catalogue id of the report in order, ≤ 50 blocks a message. */
export function expectOneChecklist(slack: FakeSlack, report: Report): void {
  expect(new Set(report.checks.map((c) => c.id))).toEqual(new Set(CHECK_IDS));
  expect(checkBlockIds(checklistCalls(slack))).toEqual(expectedBlockIds(report));
  for (const call of slack.callsTo('chat.postMessage').concat(slack.callsTo('chat.update'))) {
    expect(blocksOf(call).length).toBeLessThanOrEqual(MAX_BLOCKS_PER_MESSAGE);
  }
  const parents = slack.callsTo('chat.postMessage').filter((c) => String(c.args['text']).includes('🔎'));
  expect(parents).toHaveLength(1);
}

/** Every value in Redis, as text (strings and hashes; the queue's lists hold job ids only). */
export async function redisText(redis: Redis): Promise<string> {
  const keys = await redis.keys('*');
  const values = await Promise.all(
    keys.map(async (k) => ((await redis.type(k)) === 'string' ? redis.get(k) : JSON.stringify(await redis.hgetall(k).catch(() => ({}))))),
  );
  return JSON.stringify(values);
}
