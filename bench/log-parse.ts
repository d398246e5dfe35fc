/**
 * Benchmark 3: streaming throughput of AccessLogParser on a 100 MB istio-proxy log in Istio's default TEXT
 * format, against the floor: the same chunked read that only splits the bytes into lines. Both read the file
 * with a stream (1 MiB chunks), never the whole file at once, and RSS is sampled on every chunk.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { AccessLogParser } from '../src/istio/logs/access-log.js';
import { accessLogLine } from './cluster-fixture.js';

export const LOG_SIZE_BYTES = 100 * 1024 * 1024;
const CHUNK_BYTES = 1024 * 1024;
export const GOAL_FRACTION_OF_FLOOR = 0.5;
/** Interleaved rounds (floor, parser without and with the timeline's minute counts); ratios are per round. */
const ROUNDS = 4;
/** The refusal timeline may add at most this share to parsing time. */
export const GOAL_TIMELINE_OVERHEAD = 0.1;
const MIB = 1024 * 1024;

/** Lines that are not access-log lines, as istio-proxy prints them between requests. */
const OTHER_LINES = [
  '2026-11-29T09:41:02.104512Z\tinfo\tProxy role\tips=[10.244.1.7] type=sidecar id=checkout-7d9c5b8f4-abcde.shop domain=shop.svc.cluster.local',
  '2026-11-29T09:41:02.734128Z\tinfo\txdsproxy\tconnected to delta upstream XDS server: istiod.istio-system.svc:15012\tid=1',
  '2026-11-29T09:41:03.001234Z\twarning\tenvoy config external/envoy/source/extensions/config_subscription/grpc/grpc_stream.h:193\tStreamAggregatedResources gRPC config stream to xds-grpc closed since 1799s ago: 13, \tthread=21',
];

export interface LogParseResult {
  bytes: number;
  lines: number;
  floorMBps: number;
  parserMBps: number;
  /** Median over rounds of (floor time / parser time) measured in the same round. */
  fraction: number;
  goalMet: boolean;
  /** Median over rounds of (parser time / parser-without-timeline time) − 1. */
  timelineOverhead: number;
  timelineGoalMet: boolean;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAfterMiB: number;
  heapAfterMiB: number;
  denialGroups: number;
  byCode: Record<string, number>;
  generateSeconds: number;
}

async function generate(file: string): Promise<number> {
  const out = createWriteStream(file);
  let written = 0;
  let i = 0;
  while (written < LOG_SIZE_BYTES) {
    const batch: string[] = [];
    for (let n = 0; n < 2_000; n += 1, i += 1) batch.push(i % 50 === 49 ? (OTHER_LINES[i % OTHER_LINES.length] as string) : accessLogLine(i));
    const text = batch.join('\n') + '\n';
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(file).size;
}

/** Reads `file` in 1 MiB chunks and calls `onLine` for every line; returns lines seen and peak RSS. */
async function eachLine(file: string, onLine: (line: string) => void): Promise<{ lines: number; peakRss: number }> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  let lines = 0;
  let peakRss = process.memoryUsage.rss();
  for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
    const text = carry + decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      onLine(text.slice(start, nl));
      lines += 1;
      start = nl + 1;
    }
    carry = text.slice(start);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  carry += decoder.end();
  if (carry !== '') {
    onLine(carry);
    lines += 1;
  }
  return { lines, peakRss };
}

export async function benchLogParse(): Promise<LogParseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'jwtcheck-bench-log-'));
  const file = join(dir, 'istio-proxy.log');
  try {
    const genStart = performance.now();
    const bytes = await generate(file);
    const generateSeconds = (performance.now() - genStart) / 1000;
    let floorBest = Infinity;
    let parserBest = Infinity;
    const fractions: number[] = [];
    const overheads: number[] = [];
    let lines = 0;
    let rssBefore = 0;
    let rssPeak = 0;
    let summary: ReturnType<AccessLogParser['summary']> | undefined;
    for (let round = 0; round < ROUNDS; round += 1) {
      let chars = 0;
      let t = performance.now();
      const floor = await eachLine(file, (line) => {
        chars += line.length;
      });
      const floorMs = performance.now() - t;
      if (chars === 0) throw new Error('empty log');
      lines = floor.lines;

      const bare = new AccessLogParser({ countMinutes: false });
      t = performance.now();
      await eachLine(file, (line) => bare.push(line));
      const bareMs = performance.now() - t;

      rssBefore = process.memoryUsage.rss();
      const parser = new AccessLogParser();
      t = performance.now();
      const run = await eachLine(file, (line) => parser.push(line));
      const parserMs = performance.now() - t;
      rssPeak = Math.max(rssPeak, run.peakRss);
      summary = parser.summary();
      floorBest = Math.min(floorBest, floorMs);
      parserBest = Math.min(parserBest, parserMs);
      fractions.push(floorMs / parserMs);
      overheads.push(parserMs / bareMs - 1);
    }
    const rssAfter = process.memoryUsage.rss();
    const mb = bytes / 1e6;
    const floorMBps = mb / (floorBest / 1000);
    const parserMBps = mb / (parserBest / 1000);
    return {
      bytes,
      lines,
      floorMBps,
      parserMBps,
      fraction: median(fractions),
      goalMet: median(fractions) >= GOAL_FRACTION_OF_FLOOR,
      timelineOverhead: median(overheads),
      timelineGoalMet: median(overheads) < GOAL_TIMELINE_OVERHEAD,
      rssBeforeMiB: rssBefore / MIB,
      rssPeakMiB: rssPeak / MIB,
      rssAfterMiB: rssAfter / MIB,
      heapAfterMiB: process.memoryUsage().heapUsed / MIB,
      denialGroups: summary?.denials.length ?? 0,
      byCode: summary?.byCode ?? {},
      generateSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}
