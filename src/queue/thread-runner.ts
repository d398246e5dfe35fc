/**
 * In-process mode's diagnosis thread, parent side. A diagnosis is CPU work (client-node deserialising lists,
 * parsing hundreds of KiB of proxy logs, the checks): on the event loop that serves Slack, a burst of them
 * pushed acks past Slack's 3 s. So the whole job — Kubernetes reads, engine, Slack thread — runs in one
 * worker thread (src/diagnosis-thread.ts), and this side only hands jobs over and waits for them to end.
 * Under tsx/Jest the thread loads the TypeScript entry through tsx; from dist, the bundled entry.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import type { RuntimeOverrides } from '../job/runtime.js';
import type { DiagnosisJobData } from '../job/job-data.js';
import type { RecentDiagnosis } from '../render/home-view.js';

/** What the app's side does with the thread's reports. */
export interface ThreadEvents {
  diagnosis?(verdict: string, seconds: number): void;
  jobEnd?(source: string, verdict: string): void;
  remember?(user: string, entry: RecentDiagnosis): void;
}

/** What the thread is started with: plain data only (it crosses the thread boundary by structured clone). */
export interface ThreadInit {
  config: Readonly<Config>;
  encryptionKey: Uint8Array;
  clientOptions?: Partial<WebClientOptions>;
  runtime?: Pick<RuntimeOverrides, 'kubeconfigYaml' | 'progressIntervalMs'>;
  loggerName: string;
  logLevel: string;
}

export type ThreadRequest = { type: 'run'; data: DiagnosisJobData; jobId: string };
export type ThreadReply =
  | { type: 'done'; jobId: string }
  | { type: 'failed'; jobId: string; message: string }
  | { type: 'diagnosis'; verdict: string; seconds: number }
  /** A job ended: the audit counter's labels (the audit line itself arrives as a log line). */
  | { type: 'job-end'; source: string; verdict: string }
  /** App Home's entry for a finished diagnosis, kept on the app's side. */
  | { type: 'remember'; user: string; entry: RecentDiagnosis }
  /** One JSON log line of the thread, logged again here so it reaches the app's own destination. */
  | { type: 'log'; line: string };

/** The entry next to this file's folder: src/diagnosis-thread.ts (tsx) or dist/diagnosis-thread.js (chunk in dist/chunks/). */
function threadEntry(): URL {
  const candidates = ['../diagnosis-thread.js', './diagnosis-thread.js', '../diagnosis-thread.ts'].map((p) => new URL(p, import.meta.url));
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (!found) throw new Error(`the diagnosis thread entry is missing next to ${import.meta.url}: rebuild with npm run build`);
  return found;
}

function spawn(init: ThreadInit): Worker {
  const entry = threadEntry();
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: init });
  // TypeScript sources (tests, tsx): the thread registers tsx's loader before importing the entry.
  // require.resolve picks the package's "require" file; the thread imports its ESM twin.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData: init });
}

export class DiagnosisThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();

  constructor(
    private readonly init: ThreadInit,
    private readonly logger: Logger,
    private readonly events: ThreadEvents = {},
  ) {}

  /** Resolves when the job has ended (its results, or its failure, are in Slack). */
  run(data: DiagnosisJobData, jobId: string): Promise<void> {
    const worker = this.worker ?? this.start();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(jobId, { resolve, reject });
      worker.postMessage({ type: 'run', data, jobId } satisfies ThreadRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = spawn(this.init);
    worker.unref(); // the Slack server keeps the process alive, not an idle thread
    worker.on('message', (reply: ThreadReply) => this.receive(reply));
    // A crashed thread fails its jobs; the next job starts a fresh one.
    const lost = (why: string): void => {
      if (this.worker === worker) this.worker = undefined;
      for (const [jobId, p] of this.pending) {
        this.logger.error({ jobId }, `the diagnosis thread ${why}`);
        p.reject(new Error(`the diagnosis thread ${why}`));
      }
      this.pending.clear();
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited (${code})`));
    this.worker = worker;
    return worker;
  }

  private receive(reply: ThreadReply): void {
    if (reply.type === 'diagnosis') return this.events.diagnosis?.(reply.verdict, reply.seconds);
    if (reply.type === 'job-end') return this.events.jobEnd?.(reply.source, reply.verdict);
    if (reply.type === 'remember') return this.events.remember?.(reply.user, reply.entry);
    if (reply.type === 'log') return relayLog(this.logger, reply.line);
    const p = this.pending.get(reply.jobId);
    this.pending.delete(reply.jobId);
    if (reply.type === 'done') p?.resolve();
    else p?.reject(new Error(reply.message));
  }
}

function relayLog(logger: Logger, line: string): void {
  try {
    const { level, msg, time: _time, pid: _pid, hostname: _hostname, name: _name, ...fields } = JSON.parse(line) as Record<string, unknown>;
    const label = logger.levels.labels[Number(level)] ?? 'info';
    logger[label as 'info']({ ...fields, thread: 'diagnosis' }, typeof msg === 'string' ? msg : '');
  } catch {
    logger.warn('the diagnosis thread wrote a log line that is not JSON');
  }
}
