/**
 * The parent of an alert-triggered diagnosis: the alert's name and summary on top of the usual parent
 * (verdict, counts, Re-run), and what replaces it when the alert resolves. Pure, and escaped like every
 * text here: names and summaries come from whoever writes the alerting rules.
 */
import type { KnownBlock, SectionBlock } from '@slack/types';
import type { CheckStatus } from '../engine/check.js';
import type { Target } from '../model/index.js';
import { escapeText, renderNotice, targetLabel, type SlackMessage } from './slack-blocks.js';
import { STATUS_MARKS } from './status-marks.js';

export interface AlertHeading {
  name: string;
  summary?: string;
}

/** What the thread said last, for the resolved parent; undefined when no diagnosis finished. */
export interface LastVerdict {
  status: CheckStatus;
  summary: string;
}

const MAX_HEADING_CHARS = 1500;

/** The parent as the job renders it, with the alert heading block first. */
export function withAlertHeading(message: SlackMessage, alert: AlertHeading): SlackMessage {
  const line = headingLine('🚨', alert, 'firing');
  return { text: `${line} ${message.text}`, blocks: [heading(line), ...message.blocks] };
}

/** The parent once Alertmanager says `resolved`: the heading, when, and what the diagnosis had found. */
export function renderAlertResolved(alert: AlertHeading, target: Target, resolvedAt: Date, last: LastVerdict | undefined): SlackMessage {
  const line = headingLine('✅', alert, `resolved at ${formatUtc(resolvedAt)}`);
  const found = last
    ? `${STATUS_MARKS[last.status]} While it fired, JWT authentication for ${targetLabel(target)}: ${last.summary}`
    : `The diagnosis of ${targetLabel(target)} had not finished when the alert resolved.`;
  const body = `${escapeText(found)} Details in the thread.`;
  return { text: `${line} ${body}`, blocks: [heading(line), { type: 'section', block_id: 'parent', text: { type: 'mrkdwn', text: body } }] };
}

/** The thread note for a resolved alert. */
export function renderResolvedNote(alert: AlertHeading, resolvedAt: Date): SlackMessage {
  return renderNotice(`✅ ${alert.name} resolved at ${formatUtc(resolvedAt)}.`);
}

/** The thread note when a firing alert is diagnosed again. */
export function renderRefreshNote(alert: AlertHeading, at: Date): SlackMessage {
  return renderNotice(`🔁 ${alert.name} is still firing at ${formatUtc(at)}: diagnosing again.`);
}

export function formatUtc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function headingLine(mark: string, alert: AlertHeading, state: string): string {
  const summary = alert.summary ? ` — ${escapeText(alert.summary)}` : '';
  const line = `${mark} *${escapeText(alert.name)}* ${state}${summary}`;
  return line.length > MAX_HEADING_CHARS ? `${line.slice(0, MAX_HEADING_CHARS - 1)}…` : line;
}

function heading(text: string): SectionBlock & KnownBlock {
  return { type: 'section', block_id: 'parent:alert', text: { type: 'mrkdwn', text } };
}
