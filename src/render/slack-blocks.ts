/**
 * Report in, Slack Block Kit out. Pure: no client, no clock. DESIGN §7 fixes the shapes:
 * - one `section` per result, block_id `check:<id>`; the n-th result with the same id (n ≥ 2) gets
 *   `check:<id>:<n>` (so per-rule repeats read check:token.issuer, check:token.issuer:2, …);
 * - text starts with the status mark, then title, detail, fix;
 * - at most 50 blocks per message (and a total text budget, see MAX_MESSAGE_TEXT_CHARS).
 * Everything that comes from the cluster is escaped so it cannot mention people or forge links.
 */
import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import type { CheckResult, CheckStatus } from '../engine/check.js';
import type { Report } from '../engine/report.js';
import type { Target } from '../model/index.js';
import { ATTENTION_HEADING, needsAttention } from './attention.js';
import { groupSharedErrors, sharedErrorHeadline, type SharedError } from './shared-errors.js';
import { sparklineLine, timelineHeadline } from './timeline-text.js';
import { STATUS_MARKS } from './status-marks.js';

export const MAX_BLOCKS_PER_MESSAGE = 50;
export const MAX_SECTION_TEXT_CHARS = 3000;
/** bolt-js #2509: msg_blocks_too_long at about 13k characters of block text, well below the documented sums. */
export const MAX_MESSAGE_TEXT_CHARS = 11_000;
export const RERUN_ACTION_ID = 'jwtcheck_rerun';
export const CHECK_TOKEN_ACTION_ID = 'jwtcheck_check_token';

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export type ParentState =
  | { state: 'queued' | 'running'; target: Target; done?: number; total?: number; withToken?: boolean; restarted?: boolean }
  | { state: 'done'; report: Report; withToken?: boolean }
  | { state: 'failed'; target: Target; message: string };

/** The value carried by the Re-run button: the target only, never a token. */
export function rerunValue(target: Target): string {
  return JSON.stringify({ service: target.service, namespace: target.namespace, cluster: target.cluster });
}

export function targetLabel(target: Target): string {
  const where = `${target.service}.${target.namespace}`;
  return target.cluster === 'default' ? where : `${where} (cluster ${target.cluster})`;
}

export function renderParent(input: ParentState): SlackMessage {
  if (input.state === 'done') return renderDone(input.report, input.withToken);
  if (input.state !== 'failed') {
    const what = `🔎 Checking JWT authentication for ${targetLabel(input.target)}${input.withToken ? ' with your token' : ''}…`;
    const progress =
      input.total !== undefined && input.total > 0 ? ` ${input.done ?? 0}/${input.total} checks done.` : input.state === 'queued' ? ' Waiting for a worker.' : '';
    const note = input.restarted ? ' (restarted after an interruption)' : '';
    const text = escapeText(`${what}${progress}${note}`);
    return { text, blocks: [section(text, 'parent')] };
  }
  const text = truncate(escapeText(`🛑 Could not check JWT authentication for ${targetLabel(input.target)}: ${input.message}`));
  return { text, blocks: [section(text, 'parent'), rerunActions(input.target)] };
}

function renderDone(report: Report, withToken: boolean | undefined): SlackMessage {
  const mark = STATUS_MARKS[report.verdict.status];
  const head = `${mark} JWT authentication for ${targetLabel(report.target)}${withToken ? ' (with your token)' : ''}: ${verdictWord(report.verdict.status)}`;
  const counts = countsLine(report.counts);
  const since = timelineHeadline(report.timeline);
  const text = escapeText(`${head}. ${report.verdict.summary}${since ? ` ${since}.` : ''}`);
  const blocks: KnownBlock[] = [
    section(truncate(`*${escapeText(head)}*\n${escapeText(report.verdict.summary)}`), 'parent'),
    ...(since ? [context(`📈 ${escapeText(since)}`, 'parent:timeline')] : []),
    context(`${counts} · ${Math.round(report.durationMs)} ms · details in the thread`, 'parent:counts'),
    rerunActions(report.target, withToken),
  ];
  return { text: truncate(text), blocks };
}

/** A short reply listing what is wrong (❌/⚠️/🛑 first), posted before the full checklist; undefined when all is well. */
export function renderSummary(report: Report): SlackMessage | undefined {
  const problems = needsAttention(report);
  if (problems.length === 0) return undefined;
  const lines = groupSharedErrors(problems).map(({ result: c, shared }) =>
    shared
      ? `${STATUS_MARKS.error} *${sharedErrorHeadline(shared)}*, all for the same reason (in the checklist below)`
      : `${STATUS_MARKS[c.status]} *${escapeText(c.title)}*${c.subject ? ` (${escapeText(c.subject)})` : ''}`,
  );
  const blocks: KnownBlock[] = [];
  let chunk: string[] = [`*${ATTENTION_HEADING}* (${problems.length}):`];
  for (const line of lines) {
    if ([...chunk, line].join('\n').length > MAX_SECTION_TEXT_CHARS) {
      blocks.push(section(chunk.join('\n'), `summary:${blocks.length + 1}`));
      chunk = [];
    }
    chunk.push(line);
  }
  blocks.push(section(chunk.join('\n'), `summary:${blocks.length + 1}`));
  return { text: escapeText(`${problems.length} check(s) need attention for ${targetLabel(report.target)}.`), blocks: blocks.slice(0, MAX_BLOCKS_PER_MESSAGE) };
}

/** The full checklist in catalogue order, split into messages of at most 50 blocks. */
export function renderChecklist(report: Report): SlackMessage[] {
  const seen = new Map<string, number>();
  const spark = sparklineLine(report.timeline);
  // DESIGN §7: one block per result (`check:<id>[:n]`). Checks stopped by one shared error keep their blocks,
  // but only the first carries the sentence; the others point to it, so the reason is said once.
  const firstOfGroup = new Map<CheckResult, SharedError>();
  const laterInGroup = new Map<CheckResult, string>();
  for (const entry of groupSharedErrors(report.checks)) {
    if (!entry.shared) continue;
    const [first, ...rest] = entry.shared.results;
    if (first) firstOfGroup.set(first, entry.shared);
    for (const r of rest) laterInGroup.set(r, first?.id ?? '');
  }
  const blocks = report.checks.map((result) => {
    const n = (seen.get(result.id) ?? 0) + 1;
    seen.set(result.id, n);
    const shared = firstOfGroup.get(result);
    const sameAs = laterInGroup.get(result);
    if (shared) return section(sharedErrorText(shared), checkBlockId(result.id, n));
    if (sameAs !== undefined) return section(stoppedAlsoText(result, sameAs), checkBlockId(result.id, n));
    // The refusal sparkline goes with the access-log evidence it is drawn from.
    const withSpark = spark && result.id === 'proxy.responses' && n === 1 ? `\n\`${spark}\`` : '';
    return section(truncate(resultText(result) + withSpark), checkBlockId(result.id, n));
  });
  const pages: KnownBlock[][] = [];
  let page: KnownBlock[] = [];
  let chars = 0;
  for (const block of blocks) {
    const size = (block as SectionBlock).text?.text.length ?? 0;
    if (page.length > 0 && (page.length >= MAX_BLOCKS_PER_MESSAGE || chars + size > MAX_MESSAGE_TEXT_CHARS)) {
      pages.push(page);
      page = [];
      chars = 0;
    }
    page.push(block);
    chars += size;
  }
  if (page.length > 0) pages.push(page);
  return pages.map((p, i) => ({
    text: escapeText(`Checklist for ${targetLabel(report.target)}${pages.length > 1 ? ` (part ${i + 1} of ${pages.length})` : ''}`),
    blocks: p,
  }));
}

/** `check:<id>` for the first result of a check, `check:<id>:<n>` for the n-th (n ≥ 2). */
export function checkBlockId(id: string, n: number): string {
  return n <= 1 ? `check:${id}` : `check:${id}:${n}`;
}

export function resultText(result: CheckResult): string {
  const subject = result.subject ? ` (${escapeText(result.subject)})` : '';
  const lines = [`${STATUS_MARKS[result.status]} *${escapeText(result.title)}*${subject}`, escapeText(result.detail)];
  if (result.fix && result.status !== 'pass' && result.status !== 'skip') lines.push(`*Fix:* ${escapeText(result.fix)}`);
  if (result.docs && (result.status === 'fail' || result.status === 'warn')) lines.push(`<${result.docs}|Docs>`);
  return truncate(lines.join('\n'));
}

/** A check stopped by the error already told in `firstId`'s block: its title and a pointer, not the sentence again. */
function stoppedAlsoText(result: CheckResult, firstId: string): string {
  const subject = result.subject ? ` (${escapeText(result.subject)})` : '';
  return truncate(`${STATUS_MARKS[result.status]} *${escapeText(result.title)}*${subject}\nNot run: the same reason as \`${firstId}\` above.`);
}

function sharedErrorText(shared: SharedError): string {
  const lines = [
    `${STATUS_MARKS.error} *${sharedErrorHeadline(shared)}*, all for the same reason: ${shared.ids.map((id) => `\`${id}\``).join(', ')}`,
    escapeText(shared.detail),
  ];
  if (shared.fix) lines.push(`*Fix:* ${escapeText(shared.fix)}`);
  return truncate(lines.join('\n'));
}

export interface DecodedTokenView {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  times: { name: string; at: string; inWords: string }[];
  warnings: string[];
  fingerprint?: string;
}

/**
 * The DM reply to a pasted token: header and claims (never the token or its signature), times in words,
 * warnings, and a button whose value is an opaque id of the sealed token (never the token).
 */
export function renderDecodedToken(view: DecodedTokenView, checkTokenRef?: string): SlackMessage {
  const blocks: KnownBlock[] = [];
  const fp = view.fingerprint ? ` (fingerprint \`${view.fingerprint}\`)` : '';
  blocks.push(section(`*Decoded token*${fp}. I never show the token itself or its signature.`, 'token:intro'));
  blocks.push(section(truncate(`*Header*\n${codeBlock(view.header)}`), 'token:header'));
  blocks.push(section(truncate(`*Claims*\n${codeBlock(view.claims)}`), 'token:claims'));
  if (view.times.length > 0) {
    blocks.push(section(truncate(`*Times*\n${view.times.map((t) => `• \`${escapeText(t.name)}\` ${escapeText(t.at)} (${escapeText(t.inWords)})`).join('\n')}`), 'token:times'));
  }
  if (view.warnings.length > 0) {
    blocks.push(section(truncate(`*Warnings*\n${view.warnings.map((w) => `⚠️ ${escapeText(w)}`).join('\n')}`), 'token:warnings'));
  }
  if (checkTokenRef !== undefined) {
    const button: Button = {
      type: 'button',
      action_id: CHECK_TOKEN_ACTION_ID,
      text: { type: 'plain_text', text: 'Check against a service' },
      value: checkTokenRef,
      style: 'primary',
    };
    blocks.push({ type: 'actions', block_id: 'token:actions', elements: [button] } satisfies ActionsBlock);
  }
  const exp = view.times.find((t) => t.name === 'exp');
  return { text: escapeText(`Decoded token${exp ? `, expires ${exp.inWords}` : ''}.`), blocks };
}

/** A plain one-message reply (errors, notices) with the text escaped. */
export function renderNotice(text: string): SlackMessage {
  const escaped = truncate(escapeText(text));
  return { text: escaped, blocks: [section(escaped, 'notice')] };
}

/** An ephemeral answer (ack, respond): escaped like every other text, since it may quote user or cluster input. */
export function ephemeral(text: string): { response_type: 'ephemeral'; text: string } {
  return { response_type: 'ephemeral', text: escapeText(text) };
}

export function countsLine(counts: Record<CheckStatus, number>): string {
  return (['fail', 'error', 'warn', 'pass', 'skip'] as const).map((s) => `${STATUS_MARKS[s]} ${counts[s]}`).join('  ');
}

/**
 * Slack mrkdwn control characters; escaping them keeps `<!channel>` or `<http://x|y>` from cluster data inert.
 * The one escaping function: every text posted to Slack with cluster- or user-derived content goes through it.
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function verdictWord(status: Report['verdict']['status']): string {
  switch (status) {
    case 'pass':
      return 'no problem found';
    case 'fail':
      return 'a check failed';
    case 'warn':
      return 'warnings';
    default:
      return 'some checks could not run';
  }
}

function rerunActions(target: Target, withToken?: boolean): ActionsBlock {
  return {
    type: 'actions',
    block_id: 'parent:actions',
    elements: [
      {
        type: 'button',
        action_id: RERUN_ACTION_ID,
        text: { type: 'plain_text', text: withToken ? 'Re-run (without the token)' : 'Re-run' },
        value: rerunValue(target),
      },
    ],
  };
}

function section(text: string, blockId: string): SectionBlock {
  return { type: 'section', block_id: blockId, text: { type: 'mrkdwn', text } };
}

function context(text: string, blockId: string): ContextBlock {
  return { type: 'context', block_id: blockId, elements: [{ type: 'mrkdwn', text }] };
}

/** JSON in a code block, cut so the closing fence always survives the 3000-character limit. */
function codeBlock(value: unknown): string {
  const json = escapeText((JSON.stringify(value, null, 2) ?? 'null').replace(/```/g, "'''"));
  return `\`\`\`${truncate(json, MAX_SECTION_TEXT_CHARS - 40)}\`\`\``;
}

/** Cuts escaped text without leaving half an entity (`&am…`). */
function truncate(text: string, max = MAX_SECTION_TEXT_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).replace(/&[a-z]{0,3}$/, '')}…`;
}
