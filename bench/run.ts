/**
 * `npm run bench` (tsx bench/run.ts): the three benchmarks of issue 5, part 1. Starts its own fake cluster and
 * issuer (in a child process) and a temporary 100 MB log, stops everything itself, and gives up after
 * BENCH_DEADLINE_MS. Prints a table and writes bench/results.json.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchClusterLoad, LOAD_CASES, REQUEST_GOAL } from './cluster-load.js';
import type { ClusterLoadResult } from './cluster-load.js';
import { benchDiagnosisTime, GOAL_RATIO } from './diagnosis-time.js';
import type { DiagnosisTimeResult } from './diagnosis-time.js';
import { benchLogParse, GOAL_FRACTION_OF_FLOOR } from './log-parse.js';
import { ServerProcess } from './server-process.js';

const BENCH_DEADLINE_MS = 170_000;
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
  // The log benchmark first, while the process is small, so its RSS readings are its own.
  process.stderr.write('bench 3/3: access-log parsing (100 MB) …\n');
  const logs = await benchLogParse();
  const servers = ServerProcess.spawn();
  const timing: DiagnosisTimeResult[] = [];
  const load: ClusterLoadResult[] = [];
  try {
    process.stderr.write('bench 1/3: diagnosis time vs critical path …\n');
    timing.push(await benchDiagnosisTime(servers, 'discovery'));
    timing.push(await benchDiagnosisTime(servers, 'jwksUri'));
    process.stderr.write('bench 2/3: cluster load …\n');
    for (const c of LOAD_CASES) load.push(await benchClusterLoad(servers, c));
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
  out.push('', `1. Diagnosis wall time vs critical path (${timing[0]?.runs ?? 0} runs, ${timing[0]?.injectedLatencyMs ?? 0} ms per Kubernetes and issuer request; goal ratio ≤ ${GOAL_RATIO})`);
  out.push(
    table([
      ['keys via', 'chain', 'lower bound', 'median', 'p90', 'ratio', 'goal', 'calibrated bound', 'ratio to it', 'kube req', 'issuer req'],
      ...timing.map((t) => [
        t.keysVia,
        `${t.criticalPathHops} hops`,
        ms(t.lowerBoundMs),
        ms(t.medianMs),
        ms(t.p90Ms),
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
  out.push('', `3. Access-log parsing, ${(logs.bytes / 1e6).toFixed(0)} MB, ${logs.lines} lines, streamed in 1 MiB chunks (goal ≥ ${GOAL_FRACTION_OF_FLOOR} of the floor)`);
  out.push(
    table([
      ['floor (split only)', 'AccessLogParser', 'fraction', 'goal', 'RSS before', 'RSS peak', 'RSS after', 'heap after', 'denial groups'],
      [
        `${logs.floorMBps.toFixed(1)} MB/s`,
        `${logs.parserMBps.toFixed(1)} MB/s`,
        logs.fraction.toFixed(2),
        mark(logs.goalMet),
        `${logs.rssBeforeMiB.toFixed(0)} MiB`,
        `${logs.rssPeakMiB.toFixed(0)} MiB`,
        `${logs.rssAfterMiB.toFixed(0)} MiB`,
        `${logs.heapAfterMiB.toFixed(0)} MiB`,
        String(logs.denialGroups),
      ],
    ]),
  );
  out.push('', `whole run: ${totalSeconds.toFixed(1)} s`);
  process.stdout.write(out.join('\n') + '\n');
  writeFileSync(
    RESULTS_FILE,
    JSON.stringify({ generatedAt: new Date().toISOString(), machine, totalSeconds, diagnosisTime: timing, clusterLoad: load, logParse: logs }, null, 2) + '\n',
  );
  process.stdout.write(`results: ${RESULTS_FILE}\n`);
  clearTimeout(deadline);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
