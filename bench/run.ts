/**
 * `npm run bench` (tsx bench/run.ts): the benchmarks of issue 5 — part 1: diagnosis time, cluster load, log
 * parsing; part 2: Slack ack latency and queue throughput; issue 11: the command line's cold start. Starts its own fake cluster and issuer (in a child
 * process), a temporary 100 MB log, a redis-server, the fake Slack API, and the app and workers (child processes),
 * stops everything itself, and gives up after BENCH_DEADLINE_MS. Prints a table and writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchClusterLoad, LOAD_CASES, REQUEST_GOAL } from './cluster-load.js';
import { benchColdStart, formatColdStart } from './cold-start.js';
import type { ClusterLoadResult } from './cluster-load.js';
import { benchInProcessAck, type InProcessAckResult } from './ack-in-process.js';
import { benchDiagnosisTime, GOAL_CHAIN_RATIO, GOAL_RATIO } from './diagnosis-time.js';
import { benchKubeHttps, type KubeHttpsResult } from './kube-https.js';
import type { DiagnosisTimeResult } from './diagnosis-time.js';
import { benchLogParse, GOAL_FRACTION_OF_FLOOR, GOAL_TIMELINE_OVERHEAD } from './log-parse.js';
import { ServerProcess } from './server-process.js';
import { ACK_COMMANDS, SLACK_ACK_DEADLINE_MS, benchAckLatency, startQueueBench, stopQueueBench } from './slack-ack.js';
import type { AckLatencyResult } from './slack-ack.js';
import { THROUGHPUT_JOBS, WORKER_CONCURRENCY, benchThroughput } from './throughput.js';
import type { ThroughputResult } from './throughput.js';

const BENCH_DEADLINE_MS = 300_000;
const RESULTS_FILE = fileURLToPath(new URL('./results.json', import.meta.url));

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;
const mark = (ok: boolean): string => (ok ? 'met' : 'NOT met');

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    process.stderr.write(`bench: still running after ${BENCH_DEADLINE_MS / 1000} s, giving up.\n`);
    process.exit(2);
  }, BENCH_DEADLINE_MS);
  deadline.unref();
  const machine = {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Number((totalmem() / 1024 ** 3).toFixed(1)),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    /** 1-minute load average at the start and the end: other work on the machine skews the timings. */
    loadAverageStart: Number((loadavg()[0] ?? 0).toFixed(2)),
    loadAverageEnd: 0,
  };
  const started = performance.now();
  // Cold start first, before this process starts servers that would compete with the timed starts.
  process.stderr.write('bench 6/6: cold start of the bundled command line vs node -e 0 …\n');
  const coldStart = benchColdStart();
  // The log benchmark first, while the process is small, so its RSS readings are its own.
  process.stderr.write('bench 3/5: access-log parsing (100 MB) …\n');
  const logs = await benchLogParse();
  const servers = ServerProcess.spawn();
  const timing: DiagnosisTimeResult[] = [];
  const load: ClusterLoadResult[] = [];
  let ack: AckLatencyResult | undefined;
  let inProcessAck: InProcessAckResult | undefined;
  let kubeHttps: KubeHttpsResult | undefined;
  const throughput: ThroughputResult[] = [];
  let appPeakRssMiB: number | undefined;
  try {
    process.stderr.write('bench 1/5: diagnosis time vs critical path …\n');
    timing.push(await benchDiagnosisTime(servers, 'discovery'));
    timing.push(await benchDiagnosisTime(servers, 'jwksUri'));
    process.stderr.write('bench 2/5: cluster load …\n');
    for (const c of LOAD_CASES) load.push(await benchClusterLoad(servers, c));
    process.stderr.write('bench 7: Kubernetes GET over HTTPS vs fetch + JSON.parse …\n');
    kubeHttps = await benchKubeHttps(servers);
    const queue = await startQueueBench();
    try {
      process.stderr.write(`bench 4/5: Slack ack latency (${ACK_COMMANDS} commands at once) …\n`);
      ack = await benchAckLatency(queue);
      process.stderr.write('bench 4b: Slack ack latency in in-process mode while diagnoses run …\n');
      inProcessAck = await benchInProcessAck(servers, { url: queue.boltUrl }, queue.env);
      process.stderr.write(`bench 5/5: queue throughput (${THROUGHPUT_JOBS} jobs, 1 and 2 workers) …\n`);
      throughput.push(await benchThroughput(queue, servers, 1));
      throughput.push(await benchThroughput(queue, servers, 2));
    } finally {
      appPeakRssMiB = await stopQueueBench(queue);
    }
  } finally {
    await servers.stop();
  }
  machine.loadAverageEnd = Number((loadavg()[0] ?? 0).toFixed(2));
  const totalSeconds = (performance.now() - started) / 1000;

  const out: string[] = [];
  out.push(
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}, ` +
      `load average ${machine.loadAverageStart} → ${machine.loadAverageEnd}`,
  );
  out.push('', `1. Diagnosis wall time vs critical path (${timing[0]?.runs ?? 0} runs, ${timing[0]?.injectedLatencyMs ?? 0} ms per Kubernetes and issuer request; goal ≤ ${GOAL_CHAIN_RATIO}× the bare request chain, interleaved; ideal bound ratio, earlier goal ≤ ${GOAL_RATIO})`);
  out.push(
    table([
      ['keys via', 'chain', 'ideal bound', 'median', 'p90', 'bare chain', 'ratio to chain', 'goal', 'ratio to ideal', 'goal', 'calibrated bound', 'ratio to it', 'kube req', 'issuer req'],
      ...timing.map((t) => [
        t.keysVia,
        `${t.criticalPathHops} hops`,
        ms(t.lowerBoundMs),
        ms(t.medianMs),
        ms(t.p90Ms),
        ms(t.bareChainMs),
        t.chainRatio.toFixed(2),
        mark(t.chainGoalMet),
        t.ratio.toFixed(2),
        mark(t.goalMet),
        ms(t.calibratedBoundMs),
        t.calibratedRatio.toFixed(2),
        String(t.kubeRequestsPerDiagnosis),
        String(t.issuerRequestsPerDiagnosis),
      ]),
    ]),
  );
  out.push('   solo request times (median of 7, alone): ' + (timing[0] ? Object.entries(timing[0].soloMs).map(([k, v]) => `${k} ${ms(v)}`).join(', ') : ''));
  out.push('   timeline of the median run (keys via discovery):', ...(timing[0]?.timeline.split('\n').map((l) => `   ${l}`) ?? []));
  out.push('', `2. Kubernetes load per diagnosis (goal ≤ ${REQUEST_GOAL} requests; bytes bounded by the log limits)`);
  out.push(
    table([
      ['namespace', 'requests', 'total', 'pod lists', 'policy lists', 'logs', 'other', 'issuer req', 'time'],
      ...load.map((l) => [l.name, String(l.kubeRequests), kib(l.kubeBytes), kib(l.podListBytes), kib(l.policyListBytes), kib(l.logBytes), kib(l.otherBytes), String(l.issuerRequests), ms(l.durationMs)]),
    ]),
  );
  const big = load[1];
  if (big) out.push('   requests of one diagnosis (5,000 pods, 500 policies):', ...big.requests.map((r) => `   ${String(r.status).padEnd(4)} ${kib(r.bytes).padStart(10)}  ${r.request}`));
  out.push(
    '',
    `3. Access-log parsing, ${(logs.bytes / 1e6).toFixed(0)} MB, ${logs.lines} lines, streamed in 1 MiB chunks, interleaved with a split-only floor (goal ≥ ${GOAL_FRACTION_OF_FLOOR} of the floor, median of per-round ratios; the refusal timeline adds < ${GOAL_TIMELINE_OVERHEAD * 100} %)`,
  );
  out.push(
    table([
      ['floor (split only)', 'AccessLogParser', 'fraction', 'goal', 'timeline cost', 'goal', 'RSS before', 'RSS peak', 'RSS after', 'heap after', 'denial groups'],
      [
        `${logs.floorMBps.toFixed(1)} MB/s`,
        `${logs.parserMBps.toFixed(1)} MB/s`,
        logs.fraction.toFixed(2),
        mark(logs.goalMet),
        `${(logs.timelineOverhead * 100).toFixed(1)} %`,
        mark(logs.timelineGoalMet),
        `${logs.rssBeforeMiB.toFixed(0)} MiB`,
        `${logs.rssPeakMiB.toFixed(0)} MiB`,
        `${logs.rssAfterMiB.toFixed(0)} MiB`,
        `${logs.heapAfterMiB.toFixed(0)} MiB`,
        String(logs.denialGroups),
      ],
    ]),
  );
  if (ack) {
    out.push('', `4. Slack ack latency, queue mode: ${ack.commands} signed /jwtcheck commands at once to the app (child process) + redis-server, ${ack.rounds} bursts interleaved with a bare Bolt app (goal p99 ≤ ${ack.goalRatio}× bare Bolt; heap ≤ 1.5×; Slack allows ${SLACK_ACK_DEADLINE_MS} ms)`);
    out.push(
      table([
        ['p50', 'p99', 'bare Bolt p50 / p99', 'p99 ratio', 'goal', `p99 at ${ack.smallBurst}`, `< ${ack.goalP99Ms} ms`, 'heap app / Bolt', 'goal', 'max', 'HTTP 200', 'enqueued', 'all enqueued after', 'alone p50 / p99', 'app CPU per command', 'app RSS peak'],
        [
          ms(ack.p50Ms),
          ms(ack.p99Ms),
          `${ms(ack.boltP50Ms)} / ${ms(ack.boltP99Ms)}`,
          ack.ratioP99.toFixed(2),
          mark(ack.ratioGoalMet),
          ms(ack.smallBurstP99Ms),
          mark(ack.smallBurstP99Ms < ack.goalP99Ms),
          `${ack.appHeapMiB.toFixed(1)} / ${ack.boltHeapMiB.toFixed(1)} MiB (${ack.heapRatio.toFixed(2)}×)`,
          mark(ack.heapGoalMet),
          ms(ack.maxMs),
          `${ack.answered200}/${ack.commands * ack.rounds}`,
          `${ack.enqueued}/${ack.commands}`,
          ms(ack.allEnqueuedAfterMs),
          `${ms(ack.aloneP50Ms)} / ${ms(ack.aloneP99Ms)}`,
          ms(ack.appCpuMsPerCommand),
          `${ack.appRssMiB.toFixed(0)} MiB`,
        ],
      ]),
    );
  }
  if (inProcessAck) {
    const a = inProcessAck;
    out.push('', `4b. Slack ack latency, in-process mode: ${a.diagnoses} diagnoses fired, then ${a.commands} /jwtcheck help at once, ${a.rounds} rounds interleaved with bare Bolt (goal p99 ≤ ${a.goalRatio}× bare Bolt)`);
    out.push(
      table([
        ['p50', 'p99', 'max', 'bare Bolt p50 / p99', 'p99 ratio', 'goal', 'HTTP 200', 'diagnoses running at burst end', 'final updates'],
        [ms(a.p50Ms), ms(a.p99Ms), ms(a.maxMs), `${ms(a.boltP50Ms)} / ${ms(a.boltP99Ms)}`, a.ratioP99.toFixed(2), mark(a.goalMet), `${a.answered200}/${a.commands * a.rounds}`, String(a.diagnosesRunningAtBurstEnd), `${a.finalUpdates}/${a.diagnoses * a.rounds}`],
      ]),
    );
  }
  if (kubeHttps) {
    const k = kubeHttps;
    out.push('', `7. Kubernetes GET over HTTPS (self-signed CA in the kubeconfig), ${k.rounds} interleaved rounds × ${k.requestsPerRound} sequential requests (goal jwtcheck ≤ ${k.goalRatio}× fetch + JSON.parse per request)`);
    out.push(
      table([
        ['client', 'requests/s', 'CPU per request (client process)', 'time ratio to fetch', 'goal'],
        ...Object.entries(k.clients).map(([name, c]) => [name, c.requestsPerSecond.toFixed(0), ms(c.cpuMsPerRequest), c.ratioToBaseline.toFixed(2), name === 'jwtcheck' ? mark(k.goalMet) : '']),
      ]),
    );
  }
  if (throughput.length > 0) {
    out.push('', `5. Queue throughput: ${THROUGHPUT_JOBS} /jwtcheck commands → BullMQ → workers (one child process each, concurrency ${WORKER_CONCURRENCY}), real diagnosis, ${timing[0]?.injectedLatencyMs ?? 0} ms per Kubernetes and issuer request`);
    out.push(
      table([
        ['workers', 'time', 'diagnoses/s', 'parents', 'final updates', 'checklists', 'kube req/diagnosis', 'worker RSS peak', 'CPU s: workers / app / bench', 'verdicts'],
        ...throughput.map((t) => [
          String(t.workers),
          `${t.seconds.toFixed(2)} s`,
          t.diagnosesPerSecond.toFixed(1),
          String(t.parents),
          String(t.finalUpdates),
          String(t.checklists),
          t.kubeRequestsPerDiagnosis.toFixed(1),
          t.workerRssMiB.map((r) => `${r.toFixed(0)} MiB`).join(' + '),
          `${t.workerCpuSeconds.map((c) => c.toFixed(1)).join(' + ')} / ${t.appCpuSeconds.toFixed(1)} / ${t.benchProcessCpuSeconds.toFixed(1)}`,
          Object.entries(t.verdicts).map(([k, v]) => `${v}× ${k}`).join(', '),
        ]),
      ]),
    );
    if (appPeakRssMiB !== undefined) out.push(`   app process RSS peak over both queue benchmarks: ${appPeakRssMiB.toFixed(0)} MiB`);
  }
  out.push('', `6. Cold start of ${coldStart.cli} (${coldStart.rounds} interleaved rounds; goals as multiples of node -e 0)`);
  out.push(...formatColdStart(coldStart));
  out.push('', `whole run: ${totalSeconds.toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');
  writeFileSync(
    RESULTS_FILE,
    JSON.stringify(
      { generatedAt: new Date().toISOString(), machine, totalSeconds, diagnosisTime: timing, clusterLoad: load, logParse: logs, slackAck: ack, inProcessAck, kubeHttps, throughput, appPeakRssMiB, coldStart },
      null,
      2,
    ) + '\n',
  );
  process.stdout.write(`results: ${RESULTS_FILE}\n`);
  clearTimeout(deadline);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
