import type { Report } from '../engine/report.js';

/** DESIGN §4: the report as JSON (version 1). Extra fields are allowed by the contract. */
export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2);
}
