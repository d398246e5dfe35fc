import type { DiagnosisJobData } from '../job/job-data.js';

/**
 * How the Slack side hands a diagnosis over: to BullMQ (queue producer) or to the app's own pool
 * (in-process mode, no REDIS_URL). Listeners only see this interface.
 */
export interface DiagnosisDispatcher {
  readonly mode: 'queue' | 'in-process';
  /** Resolves once accepted; `duplicate` when this request id was already accepted (Slack retry, double submit). */
  submit(data: DiagnosisJobData, jobId: string): Promise<{ jobId: string; duplicate: boolean }>;
  /** false when no worker listens for that cluster (a typo in --cluster, or no worker deployed there). */
  hasWorkerFor(cluster: string): Promise<boolean>;
  /** Throws when the dispatcher cannot accept work (readiness probe). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Parks a sealed token for the "Check against a service" button, so the button carries only an id. */
export interface TokenStash {
  put(sealedToken: string): Promise<string>;
  /** undefined when unknown or expired. */
  get(id: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export const STASH_TTL_SECONDS = 15 * 60;
/** How long a request id is remembered to drop duplicates, also after the job itself was removed. */
export const DEDUPE_TTL_SECONDS = 10 * 60;
