/**
 * What the HTTP and the Socket Mode end-to-end suites share: the httpbin/foo cluster (the grid's healthy case),
 * a runtime that runs the REAL diagnose and keeps each report, and the checklist assertions. Not a test file.
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
import { world } from '../support/world.js';
import type { FakeSlack } from '../support/slack-api.js';

/** The world's objects (test/support/world.ts) for this issuer: its rule has no audiences, its policy is jwt-example. */
export function httpbinFoo(issuer: TestIssuer): KubeObject[] {
  return world(issuer, { audiences: null, requestAuthenticationName: 'jwt-example' }).objects;
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
