import type { CheckResult } from '../engine/check.js';

/**
 * When the cluster cannot be read, one failure stops most checks with the very same sentence; printed
 * once per check it buries the answer (20 copies). Renderers show such a group once, naming the checks
 * it stopped. Only `error` results with identical detail and fix are grouped, and only two or more;
 * the report itself (JSON) is unchanged: every check keeps its own result.
 */
export interface SharedError {
  /** The check ids it stopped, each once, in catalogue order. */
  ids: string[];
  results: CheckResult[];
  detail: string;
  fix?: string;
}

export type ChecklistEntry = { result: CheckResult; shared?: undefined } | { shared: SharedError; result?: undefined };

/** The results in order, with each group of identical errors in place of its first member. */
export function groupSharedErrors(checks: readonly CheckResult[]): ChecklistEntry[] {
  const keyOf = (r: CheckResult) => (r.status === 'error' ? `${r.detail}\u0000${r.fix ?? ''}` : undefined);
  const sizes = new Map<string, number>();
  for (const r of checks) {
    const key = keyOf(r);
    if (key !== undefined) sizes.set(key, (sizes.get(key) ?? 0) + 1);
  }
  const groups = new Map<string, SharedError>();
  const entries: ChecklistEntry[] = [];
  for (const result of checks) {
    const key = keyOf(result);
    if (key === undefined || (sizes.get(key) ?? 0) < 2) {
      entries.push({ result });
      continue;
    }
    const group = groups.get(key);
    if (group) {
      group.results.push(result);
      if (!group.ids.includes(result.id)) group.ids.push(result.id);
      continue;
    }
    const shared: SharedError = { ids: [result.id], results: [result], detail: result.detail, ...(result.fix !== undefined ? { fix: result.fix } : {}) };
    groups.set(key, shared);
    entries.push({ shared });
  }
  return entries;
}

/** "20 checks could not run" — counts results, so a per-rule check stopped twice counts twice. */
export function sharedErrorHeadline(shared: SharedError): string {
  return `${shared.results.length} checks could not run`;
}
