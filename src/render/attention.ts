import type { CheckResult, CheckStatus } from '../engine/check.js';
import type { Report } from '../engine/report.js';

const ATTENTION_ORDER: readonly CheckStatus[] = ['fail', 'error', 'warn'];

/** "What needs attention": failures, then errors, then warnings, each in catalogue order (Slack and terminal). */
export function needsAttention(report: Report): CheckResult[] {
  return ATTENTION_ORDER.flatMap((s) => report.checks.filter((c) => c.status === s));
}

export const ATTENTION_HEADING = 'What needs attention';
