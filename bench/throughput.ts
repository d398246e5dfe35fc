/**
 * Benchmark 5: diagnoses per second through the whole queue path. THROUGHPUT_JOBS `/jwtcheck httpbin foo`
 * commands go to the app (child process), BullMQ carries them, and 1 or 2 workers (one child process each,
 * `startWorker`, concurrency WORKER_CONCURRENCY) run the real diagnosis against the fake cluster and issuer of
 * bench/servers.ts with 20 ms per request, as in bench/diagnosis-time.ts. The clock stops when the last parent
 * message gets its final update, which the job posts after the whole checklist (src/diagnosis-job.ts).
 * Peak RSS is read per worker process (process.resourceUsage().maxRSS), so it is the worker's own.
 */
import type { SlackCall } from '../test/support/slack-api.js';
import { TARGET } from './cluster-fixture.js';
import { INJECTED_LATENCY_MS } from './diagnosis-time.js';
import { RoleProcess } from './role-client.js';
import type { ServerProcess } from './server-process.js';
import { sendCommands, sleep, type QueueBench } from './slack-ack.js';

export const THROUGHPUT_JOBS = 100;
export const WORKER_CONCURRENCY = 8;
/** Jobs run (and not timed) first, so each worker has loaded the engine before the clock starts. */
const WARMUP_JOBS_PER_WORKER = 4;
const FINISH_TIMEOUT_MS = 120_000;
const POLL_INTERVAL_MS = 50;
/** The slash command text: the fixture's target Service and namespace. */
const COMMAND = `${TARGET.service} ${TARGET.namespace}`;

export interface ThroughputResult {
  workers: number;
  concurrencyPerWorker: number;
  jobs: number;
  seconds: number;
  diagnosesPerSecond: number;
  /** Parent messages posted, parents with a final update, threads with a checklist: each must equal `jobs`. */
  parents: number;
  finalUpdates: number;
  checklists: number;
  verdicts: Record<string, number>;
  kubeRequests: number;
  kubeRequestsPerDiagnosis: number;
  /** Peak RSS of each worker process. */
  workerRssMiB: number[];
  /**
   * CPU seconds used during the timed window by each worker process, by the app process, and by this
   * process (load generator + fake Slack); the fake cluster and issuer child is not counted. Compared with
   * `seconds × cpus`, they show whether the machine, not the queue, set the pace.
   */
  workerCpuSeconds: number[];
  appCpuSeconds: number;
  benchProcessCpuSeconds: number;
}

const isCheckBlock = (b: unknown): boolean =>
  typeof b === 'object' && b !== null && String((b as { block_id?: unknown }).block_id ?? '').startsWith('check:');

/** The final parent text (src/render/slack-blocks.ts): a status mark, not the 🔎 of a running check. */
const isFinalParentUpdate = (c: SlackCall): boolean => c.method === 'chat.update' && !c.failed && !String(c.args['text'] ?? '').startsWith('🔎');

export function countThreads(calls: SlackCall[]): { parents: number; finals: Set<string>; checklists: number; verdicts: Record<string, number> } {
  const parents = calls.filter((c) => c.method === 'chat.postMessage' && !c.failed && c.args['thread_ts'] === undefined).length;
  const finals = new Set<string>();
  const verdicts: Record<string, number> = {};
  for (const c of calls) {
    if (!isFinalParentUpdate(c)) continue;
    const ts = String(c.args['ts']);
    if (finals.has(ts)) continue;
    finals.add(ts);
    const verdict = /: ([^.]+)\./.exec(String(c.args['text']))?.[1] ?? 'other';
    verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
  }
  const threads = new Set<string>();
  for (const c of calls) {
    if (c.method !== 'chat.postMessage' || c.failed || c.args['thread_ts'] === undefined) continue;
    const blocks = c.args['blocks'];
    if (Array.isArray(blocks) && blocks.some(isCheckBlock)) threads.add(String(c.args['thread_ts']));
  }
  return { parents, finals, checklists: threads.size, verdicts };
}

export async function untilFinals(q: Pick<QueueBench, 'slack'>, count: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (countThreads(q.slack.calls).finals.size >= count) return true;
    await sleep(POLL_INTERVAL_MS);
  }
  return false;
}

export async function benchThroughput(q: QueueBench, servers: ServerProcess, workerCount: number): Promise<ThroughputResult> {
  const ready = await servers.start(
    { pods: 10, targetPods: 3, policies: 4, keysVia: 'discovery', proxyLogLines: 600 },
    INJECTED_LATENCY_MS,
    INJECTED_LATENCY_MS,
  );
  await q.inspect.flushall();
  const workers: RoleProcess[] = [];
  try {
    for (let i = 0; i < workerCount; i += 1) {
      const { role } = await RoleProcess.start({
        role: 'worker',
        env: { ...q.env, JWTCHECK_CONCURRENCY: String(WORKER_CONCURRENCY) },
        kubeconfigYaml: ready.kubeconfigYaml,
      });
      workers.push(role);
    }
    q.slack.calls.length = 0;
    const warmup = WARMUP_JOBS_PER_WORKER * workerCount;
    await sendCommands(q, warmup, COMMAND);
    if (!(await untilFinals(q, warmup, FINISH_TIMEOUT_MS))) throw new Error('throughput: the warm-up jobs did not finish');
    await sleep(200);
    q.slack.calls.length = 0;
    await servers.takeRequests();

    const workerCpuBefore = await Promise.all(workers.map(async (w) => (await w.stats()).cpuSeconds));
    const appCpuBefore = (await q.app.stats()).cpuSeconds;
    const ownCpuBefore = process.cpuUsage();
    const started = performance.now();
    const answers = await sendCommands(q, THROUGHPUT_JOBS, COMMAND);
    if (answers.some((a) => a.status !== 200)) throw new Error('throughput: the app refused a command');
    const finished = await untilFinals(q, THROUGHPUT_JOBS, FINISH_TIMEOUT_MS);
    const seconds = (performance.now() - started) / 1000;
    if (!finished) throw new Error(`throughput: only ${countThreads(q.slack.calls).finals.size} of ${THROUGHPUT_JOBS} diagnoses finished within ${FINISH_TIMEOUT_MS / 1000} s`);
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const workerCpuSeconds = await Promise.all(workers.map(async (w, i) => (await w.stats()).cpuSeconds - (workerCpuBefore[i] ?? 0)));
    const appCpuSeconds = (await q.app.stats()).cpuSeconds - appCpuBefore;
    await sleep(200); // late duplicates would show here
    const seen = await servers.takeRequests();
    const counted = countThreads(q.slack.calls);
    const rss: number[] = [];
    for (const w of workers.splice(0)) rss.push((await w.stop())?.maxRssMiB ?? NaN);
    return {
      workers: workerCount,
      concurrencyPerWorker: WORKER_CONCURRENCY,
      jobs: THROUGHPUT_JOBS,
      seconds,
      diagnosesPerSecond: THROUGHPUT_JOBS / seconds,
      parents: counted.parents,
      finalUpdates: counted.finals.size,
      checklists: counted.checklists,
      verdicts: counted.verdicts,
      kubeRequests: seen.kube.length,
      kubeRequestsPerDiagnosis: seen.kube.length / THROUGHPUT_JOBS,
      workerRssMiB: rss,
      workerCpuSeconds,
      appCpuSeconds,
      benchProcessCpuSeconds: (ownCpu.user + ownCpu.system) / 1e6,
    };
  } finally {
    for (const w of workers) await w.stop();
  }
}
