// ---------------------------------------------------------------- refusal timeline

/** One bucket of the proxy log's time span: requests and 401/403 answers, all pods merged. */
export interface TimelineBucket {
  /** ISO time the bucket starts (UTC). */
  start: string;
  requests: number;
  refusals: number;
  /** Refusals by kind, e.g. `401 Jwt is expired`. */
  byKind: Record<string, number>;
}

export type TimelineChangeKind = 'policy' | 'pod-start' | 'pod-restart' | 'istiod-fetch-failure' | 'key-rotation';

/** Something that changed around the workload, from evidence already read (no extra request). */
export interface TimelineChange {
  kind: TimelineChangeKind;
  /** ISO time; absent when the evidence carries none (a key rotation seen only as a missing kid). */
  at?: string;
  /** One sentence, e.g. "RequestAuthentication foo/jwt-example was updated". */
  what: string;
}

/** The current run of refusals: the last stretch of buckets with refusals, gaps without traffic included. */
export interface RefusalRun {
  /** Start of the first bucket of the run. */
  since: string;
  /** false when the run reaches back to the start of the log tail: it began then or earlier. */
  sinceKnown: boolean;
  /** End of the last bucket with refusals. */
  until: string;
  /** The last bucket that saw requests still saw refusals. */
  ongoing: boolean;
  requests: number;
  refusals: number;
  /** Refusals as a whole percentage of the run's requests. */
  sharePercent: number;
  /** Status codes refused in the run, e.g. [401, 403]. */
  codes: number[];
}

/** "Since when, and what changed just before": the JSON report's optional `timeline` (report version 1). */
export interface RefusalTimeline {
  /** The span the log tail covers: no claim is made outside it. */
  coveredFrom: string;
  coveredTo: string;
  bucketSeconds: number;
  buckets: TimelineBucket[];
  requests: number;
  refusals: number;
  run?: RefusalRun;
  /** Changes with a time first, oldest first; then those without one. */
  changes: TimelineChange[];
  /** The latest timed change shortly before the run began, when the run's start is known. */
  likelyTrigger?: { change: TimelineChange; minutesBefore: number };
}
