import type { Evidence } from '../model/index.js';
import type { Check, CheckContext, CheckOutcome, CheckResult } from './check.js';

const FIX_FOR_UNEXPECTED_ERROR =
  'This is a jwtcheck bug: run again with --json and report the detail line.';

/** Runs one check over complete evidence; never throws. */
export function runCheck(check: Check, evidence: Evidence, ctx: CheckContext): CheckResult[] {
  const failedSlot = check.needs.map((name) => evidence[name]).find((slot) => !slot.ok);
  if (failedSlot && !failedSlot.ok) {
    // Nothing to read (no sidecar, so no proxy log; no istiod pod) is "not applicable", not a failure to read.
    if (failedSlot.error.code === 'unavailable') {
      return [{ id: check.id, title: check.title, docs: check.docs, status: 'skip', detail: failedSlot.error.message }];
    }
    return [
      {
        id: check.id,
        title: check.title,
        docs: check.docs,
        status: 'error',
        detail: failedSlot.error.message,
        fix: fixForEvidenceError(failedSlot.error.code),
      },
    ];
  }
  let outcomes: CheckOutcome[];
  try {
    const out = check.run(evidence, ctx);
    outcomes = Array.isArray(out) ? out : [out];
  } catch (err) {
    outcomes = [
      {
        status: 'error',
        detail: `The check could not be evaluated: ${err instanceof Error ? err.message : String(err)}`,
        fix: FIX_FOR_UNEXPECTED_ERROR,
      },
    ];
  }
  if (outcomes.length === 0) {
    outcomes = [{ status: 'skip', detail: 'Nothing to check.' }];
  }
  return outcomes.map((o) => ({ id: check.id, docs: check.docs, ...o, title: o.title ?? check.title }));
}

export function runChecks(checks: readonly Check[], evidence: Evidence, ctx: CheckContext): CheckResult[] {
  return checks.flatMap((check) => runCheck(check, evidence, ctx));
}

function fixForEvidenceError(code: string): string {
  switch (code) {
    case 'forbidden':
      return "Grant jwtcheck's service account read access (get/list) to that resource: apply manifests/ or see the README's RBAC section.";
    case 'timeout':
    case 'unreachable':
      return 'Check that the Kubernetes API (or the issuer) is reachable from where jwtcheck runs, then run it again.';
    case 'blocked':
      return 'jwtcheck refuses link-local, metadata and non-http(s) URLs; point the policy at a public or cluster-internal https URL.';
    default:
      return 'Fix the problem named in the detail and run the diagnosis again.';
  }
}
