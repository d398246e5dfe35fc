import type { Evidence, EvidenceSlotName, Target } from '../model/index.js';

export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip' | 'error';

export const CHECK_STATUSES: readonly CheckStatus[] = ['pass', 'fail', 'warn', 'skip', 'error'];

/** What a check says about one subject; the engine adds id, title and docs. */
export interface CheckOutcome {
  status: CheckStatus;
  /** For per-rule checks: that rule's issuer (or its key when it has none). */
  subject?: string;
  /** Overrides the check's title when a more precise one helps. */
  title?: string;
  /** One line with the evidence. Never holds a token. */
  detail: string;
  /** Required for fail/warn/error: the concrete next step. */
  fix?: string;
}

export interface CheckResult extends CheckOutcome {
  id: string;
  title: string;
  docs?: string;
}

export interface CheckContext {
  /** The moment the diagnosis started; checks never read the clock. */
  now: Date;
  /** Envoy's default JWT clock skew. */
  clockSkewSeconds: number;
  target: Target;
}

export interface Check {
  id: string;
  title: string;
  docs?: string;
  /** Evidence slots read; when one of them failed to load, the engine reports `error` with its reason. */
  needs: readonly EvidenceSlotName[];
  /** Evidence read when available; a failed read is passed to `run` as is instead of making the result `error`. */
  uses?: readonly EvidenceSlotName[];
  run(evidence: Evidence, ctx: CheckContext): CheckOutcome | CheckOutcome[];
}

export const defineCheck = (check: Check): Check => check;
