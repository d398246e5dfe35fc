/**
 * Benchmark 4b (issue 12): acks never wait for diagnoses. The app in IN-PROCESS mode (no REDIS_URL; its
 * diagnoses run in the diagnosis thread) in a child process, the fake cluster and issuer at 20 ms per request.
 * Each round fires DIAGNOSES `/jwtcheck checkout shop` (real diagnoses, all running at once) and, right
 * after, ACK_COMMANDS `/jwtcheck help` at once, timed until Bolt answers; interleaved with the same burst
 * against the bare Bolt baseline (nothing else running). Goal: app p99 ≤ 1.5× bare Bolt's.
 */
import { startFakeSlack } from '../test/support/slack-api.js';
import { INJECTED_LATENCY_MS } from './diagnosis-time.js';
import { RoleProcess } from './role-client.js';
import type { ServerProcess } from './server-process.js';
import { ACK_COMMANDS, ACK_ROUNDS, median, percentiles, sendCommands, sleep } from './slack-ack.js';
import { countThreads, untilFinals } from './throughput.js';

export const DIAGNOSES = 20;
export const IN_PROCESS_GOAL_RATIO = 1.5;
const FINISH_TIMEOUT_MS = 30_000;

export interface InProcessAckResult {
  diagnoses: number;
  commands: number;
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  boltP50Ms: number;
  boltP99Ms: number;
  /** Median of per-round app p99 / bare Bolt p99. */
  ratioP99: number;
  goalRatio: number;
  goalMet: boolean;
  answered200: number;
  /** Diagnoses of the round still unfinished when its ack burst had been answered (median over rounds). */
  diagnosesRunningAtBurstEnd: number;
  finalUpdates: number;
}

export async function benchInProcessAck(servers: ServerProcess, bolt: { url: string }, signingEnv: Record<string, string>): Promise<InProcessAckResult> {
  const ready = await servers.start(
    { pods: 10, targetPods: 3, policies: 4, keysVia: 'discovery', proxyLogLines: 600 },
    INJECTED_LATENCY_MS,
    INJECTED_LATENCY_MS,
  );
  const slack = await startFakeSlack();
  const { REDIS_URL: _queue, ...env } = signingEnv;
  const { role: app, port } = await RoleProcess.start({
    role: 'app',
    env: { ...env, SLACK_API_URL: slack.apiUrl, JWTCHECK_CONCURRENCY: String(DIAGNOSES) },
    kubeconfigYaml: ready.kubeconfigYaml,
  });
  const q = { slack, url: `http://127.0.0.1:${port ?? 0}/slack/events` };
  try {
    // Warm-up: Bolt's lazy paths, the diagnosis thread's start and its first module loads.
    await sendCommands(q, 2, 'checkout shop');
    await sendCommands(q, 5, 'help');
    await sendCommands(q, 5, 'help', bolt.url);
    if (!(await untilFinals(q, 2, FINISH_TIMEOUT_MS))) throw new Error('in-process ack: the warm-up diagnoses did not finish');
    const appRounds: ReturnType<typeof percentiles>[] = [];
    const boltRounds: ReturnType<typeof percentiles>[] = [];
    const running: number[] = [];
    let answered200 = 0;
    let finals = 0;
    for (let round = 0; round < ACK_ROUNDS; round += 1) {
      if (round % 2 === 1) boltRounds.push(percentiles(await sendCommands(q, ACK_COMMANDS, 'help', bolt.url)));
      slack.calls.length = 0;
      const diagnoses = sendCommands(q, DIAGNOSES, 'checkout shop');
      const answers = await sendCommands(q, ACK_COMMANDS, 'help');
      running.push(DIAGNOSES - countThreads(slack.calls).finals.size);
      appRounds.push(percentiles(answers));
      answered200 += answers.filter((a) => a.status === 200).length;
      await diagnoses;
      if (!(await untilFinals(q, DIAGNOSES, FINISH_TIMEOUT_MS))) throw new Error('in-process ack: the diagnoses did not finish');
      finals += countThreads(slack.calls).finals.size;
      await sleep(200);
      if (round % 2 === 0) boltRounds.push(percentiles(await sendCommands(q, ACK_COMMANDS, 'help', bolt.url)));
    }
    const ratioP99 = median(appRounds.map((a, i) => a.p99 / (boltRounds[i]?.p99 ?? NaN)));
    return {
      diagnoses: DIAGNOSES,
      commands: ACK_COMMANDS,
      rounds: ACK_ROUNDS,
      p50Ms: median(appRounds.map((a) => a.p50)),
      p99Ms: median(appRounds.map((a) => a.p99)),
      maxMs: median(appRounds.map((a) => a.max)),
      boltP50Ms: median(boltRounds.map((b) => b.p50)),
      boltP99Ms: median(boltRounds.map((b) => b.p99)),
      ratioP99,
      goalRatio: IN_PROCESS_GOAL_RATIO,
      goalMet: ratioP99 <= IN_PROCESS_GOAL_RATIO,
      answered200,
      diagnosesRunningAtBurstEnd: median(running),
      finalUpdates: finals,
    };
  } finally {
    await app.stop();
    await slack.close();
  }
}
