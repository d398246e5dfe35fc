/**
 * No REDIS_URL: the app runs diagnoses itself, through the same job handler, with a small promise pool
 * so a burst of commands cannot start unbounded work. Tokens are still sealed (with a per-process key
 * when JOB_ENCRYPTION_KEY is unset), so the code path is the queue's. Nothing survives a restart: that
 * is the trade-off of running without Redis.
 */
import { randomBytes } from 'node:crypto';
import type { DiagnosisRuntime, JobSlackState, JobStateStore } from '../job/diagnosis-job.js';
import type { DiagnosisThread } from './thread-runner.js';
import { runDiagnosisJob } from '../job/diagnosis-job.js';
import { JwtcheckError } from '../errors.js';
import type { Logger } from '../lib/logger.js';
import { DEDUPE_TTL_SECONDS, STASH_TTL_SECONDS, type DiagnosisDispatcher, type TokenStash } from './dispatcher.js';
import { validateJobData, type DiagnosisJobData } from '../job/job-data.js';

/** Requests waiting beyond the running ones; past this, users are told to try again. */
export const MAX_WAITING = 100;

export interface InProcessOptions {
  concurrency: number;
  /** Runs each job on this event loop (tests that replace parts of the diagnosis with functions). */
  runtime?: DiagnosisRuntime;
  /** Runs each job in the diagnosis thread instead, off the event loop that serves Slack (the default). */
  thread?: Pick<DiagnosisThread, 'run' | 'close'>;
  /**
   * A job the thread never finished (it crashed, or the app stopped mid-job): the runtime's own last-attempt
   * message could not run, so this tells the requester instead. Never silence.
   */
  onLost?: (data: DiagnosisJobData, jobId: string, reason: string) => Promise<void>;
  logger: Logger;
  now?: () => number;
}

export class InProcessDispatcher implements DiagnosisDispatcher {
  readonly mode = 'in-process' as const;
  private readonly waiting: { data: DiagnosisJobData; jobId: string }[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly seen = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: InProcessOptions) {}

  async submit(data: DiagnosisJobData, jobId: string): Promise<{ jobId: string; duplicate: boolean }> {
    if (this.closed) throw new JwtcheckError('unavailable', 'jwtcheck is shutting down; try again in a minute.');
    const valid = validateJobData(data);
    if (!valid.ok) throw new JwtcheckError('invalid', `The request could not be run (${valid.problems.join('; ')}). This is a jwtcheck bug: please report it.`);
    const now = (this.options.now ?? Date.now)();
    for (const [id, at] of this.seen) if (now - at > DEDUPE_TTL_SECONDS * 1000) this.seen.delete(id);
    if (this.seen.has(jobId)) return { jobId, duplicate: true };
    if (this.waiting.length >= MAX_WAITING) {
      throw new JwtcheckError('unavailable', 'jwtcheck is busy with many diagnoses right now; try again in a minute.');
    }
    this.seen.set(jobId, now);
    this.waiting.push({ data: valid.value, jobId });
    this.pump();
    return { jobId, duplicate: false };
  }

  async hasWorkerFor(): Promise<boolean> {
    return true; // this process is the worker for every cluster its kubeconfig names
  }

  async check(): Promise<void> {
    if (this.closed) throw new Error('closed');
  }

  /** Waits for running diagnoses (they post their results); waiting ones are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    await Promise.allSettled([...this.running]);
    await this.options.thread?.close();
  }

  /** Resolves when nothing is running or waiting (tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.options.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift();
      if (!next) break;
      const task = this.run(next.data, next.jobId).finally(() => {
        this.running.delete(task);
        this.pump();
      });
      this.running.add(task);
    }
  }

  private async run(data: DiagnosisJobData, jobId: string): Promise<void> {
    try {
      if (this.options.thread) await this.options.thread.run(data, jobId);
      else if (this.options.runtime) await runJobOnce(data, jobId, this.options.runtime);
    } catch (err) {
      this.options.logger.error({ err, jobId }, 'in-process diagnosis failed');
      if (this.options.thread && this.options.onLost) {
        await this.options.onLost(data, jobId, err instanceof Error ? err.message : String(err)).catch((e: unknown) =>
          this.options.logger.error({ err: e, jobId }, 'could not tell the requester that the diagnosis was lost'),
        );
      }
    }
  }
}

/** One attempt with its Slack state in memory: there is no other process to retry it, so errors are reported to the user at once. */
export async function runJobOnce(data: DiagnosisJobData, jobId: string, runtime: DiagnosisRuntime): Promise<void> {
  let state: JobSlackState | undefined;
  const store: JobStateStore = {
    load: async () => state,
    save: async (s) => {
      state = { ...s, replies: [...s.replies] };
    },
  };
  await runDiagnosisJob(data, runtime, { jobId, store, finalAttempt: true });
}

/** The in-process twin of the Redis stash: sealed tokens in memory with the same TTL. */
export class MemoryTokenStash implements TokenStash {
  private readonly entries = new Map<string, { sealed: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(sealedToken: string): Promise<string> {
    const now = this.now();
    for (const [id, e] of this.entries) if (e.expires <= now) this.entries.delete(id);
    const id = randomBytes(16).toString('base64url');
    this.entries.set(id, { sealed: sealedToken, expires: now + STASH_TTL_SECONDS * 1000 });
    return id;
  }

  async get(id: string): Promise<string | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(id);
      return undefined;
    }
    return e.sealed;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
