import type { CheckResult, CheckStatus } from '../engine/check.js';
import type { Report } from '../engine/report.js';
import { ATTENTION_HEADING, needsAttention } from './attention.js';
import { groupSharedErrors, sharedErrorHeadline, type SharedError } from './shared-errors.js';
import { STATUS_MARKS } from './status-marks.js';
import { sparklineLine, timelineHeadline } from './timeline-text.js';

export interface TerminalOptions {
  /** ANSI colours (only when writing to a TTY and NO_COLOR is unset). */
  color: boolean;
}

const ANSI: Record<CheckStatus | 'dim' | 'bold', string> = {
  pass: '\u001b[32m',
  fail: '\u001b[31m',
  warn: '\u001b[33m',
  skip: '\u001b[90m',
  error: '\u001b[35m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
};
const RESET = '\u001b[0m';

/** The checklist for a terminal: verdict first, then every result in catalogue order, fixes indented. */
export function renderTerminal(report: Report, options: TerminalOptions): string {
  const paint = (style: keyof typeof ANSI, text: string) => (options.color ? `${ANSI[style]}${text}${RESET}` : text);
  const { target, verdict, counts } = report;
  const lines: string[] = [];
  lines.push(
    paint('bold', `jwtcheck · ${target.service}.${target.namespace}`) +
      paint('dim', ` · cluster ${target.cluster} · ${report.durationMs} ms`) +
      (report.tokenFingerprint ? paint('dim', ` · token ${report.tokenFingerprint}`) : '') +
      (report.judgedAt ? paint('dim', ` · times judged at ${report.judgedAt} (snapshot captured)`) : ''),
  );
  const verdictMark = verdict.status === 'pass' ? STATUS_MARKS.pass : STATUS_MARKS[verdict.status];
  const where = verdict.checkId ? `${verdict.checkId}: ` : '';
  lines.push(`${verdictMark} ${paint(verdict.status, verdict.status.toUpperCase())}  ${where}${verdict.summary}`);
  const since = timelineHeadline(report.timeline);
  if (since) lines.push(`📈 ${since}`);
  lines.push('');
  const problems = needsAttention(report);
  if (problems.length > 0) {
    lines.push(paint('bold', `${ATTENTION_HEADING} (${problems.length}):`));
    for (const { result: c, shared } of groupSharedErrors(problems)) {
      if (shared) lines.push(`  ${STATUS_MARKS.error} ${sharedErrorHeadline(shared)}, all for the same reason ${paint('dim', `· ${shared.ids.join(', ')}`)}`);
      else lines.push(`  ${STATUS_MARKS[c.status]} ${c.title}${c.subject ? ` (${c.subject})` : ''} ${paint('dim', `· ${c.id}`)}`);
    }
    lines.push('');
  }
  const spark = sparklineLine(report.timeline);
  for (const entry of groupSharedErrors(report.checks)) {
    lines.push(...(entry.shared ? renderShared(entry.shared, report.verdict.summary, paint) : renderResult(entry.result, paint)));
    if (spark && entry.result?.id === 'proxy.responses') lines.push(paint('dim', `   ${spark}`));
  }
  lines.push('');
  lines.push(
    (['pass', 'fail', 'warn', 'skip', 'error'] as const)
      .map((s) => paint(s, `${counts[s]} ${s}`))
      .join(' · '),
  );
  return lines.join('\n') + '\n';
}

/** One entry for many checks stopped by the same error; its sentence is left out when the verdict line just said it. */
function renderShared(shared: SharedError, verdictSummary: string, paint: (style: keyof typeof ANSI, text: string) => string): string[] {
  const out = [`${STATUS_MARKS.error} ${paint('error', sharedErrorHeadline(shared))}, all for the same reason: ${shared.ids.join(', ')}`];
  if (shared.detail !== verdictSummary) out.push(`   ${shared.detail}`);
  if (shared.fix) out.push(paint('bold', `   fix: `) + shared.fix);
  return out;
}

function renderResult(r: CheckResult, paint: (style: keyof typeof ANSI, text: string) => string): string[] {
  const subject = r.subject ? paint('dim', ` [${r.subject}]`) : '';
  const out = [`${STATUS_MARKS[r.status]} ${paint(r.status, r.id.padEnd(20))} ${r.title}${subject}`];
  out.push(`   ${r.detail}`);
  if (r.fix && r.status !== 'pass' && r.status !== 'skip') out.push(paint('bold', `   fix: `) + r.fix);
  return out;
}
