/**
 * The audit trail: one structured line per diagnosis, written where its outcome is known (the job's end,
 * in the worker or the in-process pool), marked `"audit": true` so a log pipeline can route it. It says
 * who, where, what, from which surface, the verdict, how long and which job — never the token or its
 * fingerprint (the job data's sealedToken is reduced to "withToken"). The same facts feed App Home.
 */
import type { CheckStatus } from '../engine/check.js';
import type { RecentDiagnosis } from '../render/home-view.js';
import type { DiagnosisJobData } from './job-data.js';

export type AuditVerdict = CheckStatus | 'not_run';

export interface JobEnd {
  data: DiagnosisJobData;
  jobId: string;
  outcome: { kind: 'reported'; verdict: string } | { kind: 'could-not-run'; message: string };
  durationMs: number;
  /** Where the parent message is, when one was posted. */
  parent?: { channel: string; ts: string };
  /** The verdict's sentence, or why it could not run. */
  summary?: string;
}

/** Jobs queued before issue 13 carry no source. */
export const UNKNOWN_SOURCE = 'unknown';

export function auditVerdict(end: JobEnd): AuditVerdict {
  return end.outcome.kind === 'reported' ? (end.outcome.verdict as CheckStatus) : 'not_run';
}

/** The fields of the audit line; the caller adds nothing else. */
export function auditFields(end: JobEnd): Record<string, unknown> {
  const { data } = end;
  return {
    audit: true,
    who: data.requestedBy.user,
    team: data.requestedBy.team,
    where: data.replyTo.channel,
    what: { service: data.target.service, namespace: data.target.namespace, cluster: data.target.cluster },
    source: data.source ?? UNKNOWN_SOURCE,
    withToken: data.sealedToken !== undefined,
    verdict: auditVerdict(end),
    durationMs: Math.round(end.durationMs),
    jobId: end.jobId,
    ...(data.alert ? { alert: data.alert.name } : {}),
  };
}

/** The App Home entry for this diagnosis. */
export function recentEntry(end: JobEnd, at: Date, permalink: string | undefined): RecentDiagnosis {
  const { data } = end;
  return {
    jobId: end.jobId,
    target: data.target,
    verdict: auditVerdict(end),
    summary: end.summary ?? (end.outcome.kind === 'could-not-run' ? end.outcome.message : ''),
    at: at.toISOString(),
    channel: end.parent?.channel ?? data.replyTo.channel,
    ...(end.parent ? { ts: end.parent.ts } : {}),
    ...(permalink ? { permalink } : {}),
    source: data.source ?? UNKNOWN_SOURCE,
    ...(data.alert ? { alert: data.alert.name } : {}),
  };
}
