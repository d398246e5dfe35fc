import type { RefusalTimeline, Target } from '../model/index.js';
import type { CheckResult, CheckStatus } from './check.js';

export const REPORT_VERSION = 1;

export interface Verdict {
  status: 'pass' | 'fail' | 'warn' | 'error';
  checkId?: string;
  summary: string;
}

export interface Report {
  version: typeof REPORT_VERSION;
  target: Target;
  startedAt: string;
  durationMs: number;
  verdict: Verdict;
  checks: CheckResult[];
  counts: Record<CheckStatus, number>;
  /** Fingerprint of the token the diagnosis used, if any (never the token). */
  tokenFingerprint?: string;
  /** Refusals over the log tail's span and what changed just before (optional; absent without access lines). */
  timeline?: RefusalTimeline;
  /** The instant times were judged at when it is not startedAt: a snapshot's capture time (extra to §4). */
  judgedAt?: string;
}

export function countStatuses(results: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, warn: 0, skip: 0, error: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}

/** DESIGN §3: the first fail, else the first error, else the first warn, else pass. */
export function decideVerdict(results: readonly CheckResult[]): Verdict {
  for (const status of ['fail', 'error', 'warn'] as const) {
    const first = results.find((r) => r.status === status);
    if (first) {
      // The detail already names the evidence; the title is phrased as the pass condition, so it is left out.
      const where = first.subject ? ` [${first.subject}]` : '';
      return { status, checkId: first.id, summary: `${first.detail}${where}` };
    }
  }
  const passed = results.filter((r) => r.status === 'pass').length;
  return {
    status: 'pass',
    summary: `No problem found: ${passed} check${passed === 1 ? '' : 's'} passed.`,
  };
}
