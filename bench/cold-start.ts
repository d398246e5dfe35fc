/**
 * Benchmark 6: cold start of the shipped command line (the esbuild bundle in dist/, what `npm install -g`
 * runs) against `node -e 0` in the same run. Every round starts each command once, in a rotating order,
 * so load on the shared machine hits all of them alike; the figure is the median wall time per command and
 * its ratio to the median `node -e 0`. Run alone with `npx tsx bench/cold-start.ts` (rebuilds dist/ first);
 * BENCH_CLI=path/to/cli.js measures another build (e.g. the tsc output of an older commit).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { quantile } from './diagnosis-time.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const COLD_START_ROUNDS = 15;
/** Goals of issue 11, as multiples of `node -e 0`. */
export const COLD_START_GOALS: Record<string, number> = { '--help': 2, decode: 2.5, demo: 5 };
/** A valid, unsigned-looking but well-formed token: decode only parses it. */
const TOKEN =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoidXNlciIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJl';

export interface ColdStartRow {
  command: string;
  medianMs: number;
  p90Ms: number;
  ratio: number;
  goal?: number;
  goalMet?: boolean;
}

export interface ColdStartResult {
  cli: string;
  rounds: number;
  baselineMs: number;
  rows: ColdStartRow[];
}

/** The bundle of the current source (built now, < 1 s), or BENCH_CLI as it is. */
function ensureBuilt(): string {
  const given = process.env['BENCH_CLI'];
  if (given !== undefined) {
    if (!existsSync(given)) throw new Error(`BENCH_CLI=${given} does not exist.`);
    return given;
  }
  execFileSync(process.execPath, [`${ROOT}scripts/build.mjs`], { cwd: ROOT, stdio: 'inherit' });
  return `${ROOT}dist/cli.js`;
}

function timeOnce(args: readonly string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env['PATH'], HOME: process.env['HOME'] } });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`${args.join(' ')} exited ${run.status}: ${run.stderr.toString().slice(0, 300)}`);
  return ms;
}

export function benchColdStart(rounds = COLD_START_ROUNDS): ColdStartResult {
  const cli = ensureBuilt();
  const commands: Array<[string, string[]]> = [
    ['node -e 0', ['-e', '0']],
    ['--help', [cli, '--help']],
    ['decode', [cli, 'decode', TOKEN]],
    ['demo', [cli, 'demo']],
  ];
  const times = new Map<string, number[]>(commands.map(([name]) => [name, []]));
  // One untimed pass warms the page cache for every file the commands read.
  for (const [, args] of commands) timeOnce(args);
  for (let round = 0; round < rounds; round += 1) {
    for (let k = 0; k < commands.length; k += 1) {
      const [name, args] = commands[(round + k) % commands.length] as [string, string[]];
      times.get(name)?.push(timeOnce(args));
    }
  }
  const median = (name: string) => quantile([...(times.get(name) ?? [])].sort((a, b) => a - b), 0.5);
  const baselineMs = median('node -e 0');
  const rows = commands.map(([name]): ColdStartRow => {
    const sorted = [...(times.get(name) ?? [])].sort((a, b) => a - b);
    const medianMs = quantile(sorted, 0.5);
    const goal = COLD_START_GOALS[name];
    const ratio = medianMs / baselineMs;
    return { command: name, medianMs, p90Ms: quantile(sorted, 0.9), ratio, goal, goalMet: goal === undefined ? undefined : ratio <= goal };
  });
  return { cli, rounds, baselineMs, rows };
}

export function formatColdStart(result: ColdStartResult): string[] {
  const rows = result.rows.map((r) => [
    r.command,
    `${r.medianMs.toFixed(1)} ms`,
    `${r.p90Ms.toFixed(1)} ms`,
    `${r.ratio.toFixed(2)}×`,
    r.goal === undefined ? '' : `≤ ${r.goal}× ${r.goalMet ? 'met' : 'NOT met'}`,
  ]);
  const all = [['command', 'median', 'p90', 'vs node -e 0', 'goal'], ...rows];
  const widths = all[0]?.map((_, col) => Math.max(...all.map((r) => (r[col] ?? '').length))) ?? [];
  return all.map((r) => r.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  '));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = benchColdStart();
  process.stdout.write(`cold start of ${result.cli}, ${result.rounds} interleaved rounds, Node ${process.version}\n${formatColdStart(result).join('\n')}\n`);
}
