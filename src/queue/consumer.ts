/**
 * The BullMQ side of the worker: validates each job again (Redis content is input), maps bad data to
 * UnrecoverableError so it is not retried, and keeps the job's Slack bookkeeping in `job.progress`,
 * which survives retries and stalled-job recovery.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisClient } from './redis.js';
import { runDiagnosisJob, type DiagnosisRuntime, type JobOutcome, type JobSlackState, type JobStateStore } from '../job/diagnosis-job.js';
import type { Logger } from '../lib/logger.js';
import { JOB_NAME, queueLocation, validateJobData } from '../job/job-data.js';

export interface ConsumerOptions {
  connection: RedisClient;
  /** Redis Cluster: the queue's keys carry a hash tag (see queueLocation). */
  hashTagged: boolean;
  cluster: string;
  runtime: DiagnosisRuntime;
  concurrency: number;
  logger: Logger;
  /** config.jobLockMs / stalledCheckMs (src/config.ts says why 15 s and 5 s); BullMQ's own defaults (30 s) when unset. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Called on job state changes (metrics gauge). */
  onJobState?(state: 'active' | 'completed' | 'failed' | 'stalled'): void;
}

export function createConsumer(options: ConsumerOptions): Worker {
  const location = queueLocation(options.cluster, options.hashTagged);
  const log = options.logger.child({ queue: location.label });
  const worker = new Worker(
    location.name,
    async (job: Job, _lockToken?: string, signal?: AbortSignal): Promise<JobOutcome> => {
      if (job.name !== JOB_NAME) throw new UnrecoverableError(`unknown job name "${job.name}"`);
      const valid = validateJobData(job.data);
      if (!valid.ok) {
        log.error({ jobId: job.id, problems: valid.problems }, 'invalid job data; dropped');
        throw new UnrecoverableError(`invalid job data: ${valid.problems.join('; ')}`);
      }
      const store: JobStateStore = {
        load: async () => readState(job.progress),
        save: async (state) => job.updateProgress({ ...state }),
      };
      return runDiagnosisJob(valid.value, options.runtime, {
        jobId: job.id ?? 'unknown',
        store,
        finalAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        signal,
      });
    },
    {
      connection: options.connection,
      prefix: location.prefix,
      concurrency: options.concurrency,
      ...(options.lockDurationMs ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs ? { stalledInterval: options.stalledIntervalMs } : {}),
    },
  );
  worker.on('error', (err) => log.warn({ err: { message: err.message } }, 'worker error'));
  worker.on('active', () => options.onJobState?.('active'));
  worker.on('completed', () => options.onJobState?.('completed'));
  worker.on('stalled', (jobId) => {
    log.warn({ jobId }, 'job stalled; it runs again');
    options.onJobState?.('stalled');
  });
  worker.on('failed', (job, err) => {
    // 'failed' fires per attempt: only the last one is final.
    const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
    log[final ? 'error' : 'warn']({ jobId: job?.id, attempt: job?.attemptsMade, err: { message: err.message } }, final ? 'job failed' : 'job attempt failed; retrying');
    if (final) options.onJobState?.('failed');
  });
  return worker;
}

function readState(progress: unknown): JobSlackState | undefined {
  if (typeof progress !== 'object' || progress === null) return undefined;
  const p = progress as Partial<JobSlackState>;
  const replies = Array.isArray(p.replies) ? p.replies.filter((r): r is string => typeof r === 'string') : [];
  return {
    replies,
    ...(typeof p.parentTs === 'string' ? { parentTs: p.parentTs } : {}),
    ...(typeof p.parentChannel === 'string' ? { parentChannel: p.parentChannel } : {}),
    ...(p.finished === true ? { finished: true } : {}),
    ...(p.parentPending === true ? { parentPending: true } : {}),
  };
}
