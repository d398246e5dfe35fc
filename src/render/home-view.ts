/**
 * App Home: the user's recent diagnoses (and alert-triggered ones they may see) and a "New diagnosis"
 * button; the modal it opens asks for service, namespace and cluster only. Tokens stay in DMs, so neither
 * the view nor the modal has a token field. Pure.
 */
import type { KnownBlock, View } from '@slack/types';
import type { CheckStatus } from '../engine/check.js';
import type { Target } from '../model/index.js';
import { escapeText, targetLabel } from './slack-blocks.js';
import { STATUS_MARKS } from './status-marks.js';

export const HOME_NEW_DIAGNOSIS_ACTION_ID = 'jwtcheck_home_new';
export const HOME_DIAGNOSIS_VIEW_ID = 'jwtcheck_home_modal';
export const HOME_LIMIT = 10;

/** One finished diagnosis as App Home lists it: no token, no report, a link to where it was posted. */
export interface RecentDiagnosis {
  jobId: string;
  target: Target;
  /** The verdict status, or `not_run` when the diagnosis could not run. */
  verdict: CheckStatus | 'not_run';
  summary: string;
  /** ISO time the diagnosis ended. */
  at: string;
  channel: string;
  ts?: string;
  permalink?: string;
  source: string;
  alert?: string;
}

export function renderHome(entries: readonly RecentDiagnosis[], notice?: string): View {
  const blocks: KnownBlock[] = [
    { type: 'header', block_id: 'home:title', text: { type: 'plain_text', text: 'Your recent JWT checks' } },
    {
      type: 'actions',
      block_id: 'home:actions',
      elements: [{ type: 'button', action_id: HOME_NEW_DIAGNOSIS_ACTION_ID, text: { type: 'plain_text', text: 'New diagnosis' }, style: 'primary' }],
    },
    { type: 'divider' },
  ];
  if (notice) blocks.push(section('home:notice', `🛑 ${escapeText(notice)}`));
  else if (entries.length === 0) {
    blocks.push(section('home:empty', 'No diagnoses yet. Press *New diagnosis*, run `/jwtcheck <service> <namespace>`, or send me a token in a direct message.'));
  }
  entries.slice(0, HOME_LIMIT).forEach((e, i) => blocks.push(section(`home:recent:${i + 1}`, entryText(e))));
  return { type: 'home', blocks };
}

export function homeDiagnosisModal(inputs: KnownBlock[]): View {
  return {
    type: 'modal',
    callback_id: HOME_DIAGNOSIS_VIEW_ID,
    title: { type: 'plain_text', text: 'New JWT check' },
    submit: { type: 'plain_text', text: 'Check' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      ...inputs,
      { type: 'context', block_id: 'home:modal:note', elements: [{ type: 'mrkdwn', text: 'Results arrive in our direct messages. To check with a token, send it to me there.' }] },
    ],
  };
}

function entryText(e: RecentDiagnosis): string {
  const mark = e.verdict === 'not_run' ? '🛑' : STATUS_MARKS[e.verdict];
  const seconds = Math.floor(Date.parse(e.at) / 1000);
  // Slack renders the date in the reader's time zone; the fallback after | is shown where it cannot.
  const when = Number.isFinite(seconds) ? `<!date^${seconds}^{date_short_pretty} {time}|${e.at}>` : escapeText(e.at);
  const link = e.permalink && /^https:\/\/[^\s|<>]+$/.test(e.permalink) ? ` · <${e.permalink}|thread>` : ` · in <#${e.channel}>`;
  const alert = e.alert ? ` · 🚨 ${escapeText(e.alert)}` : '';
  return `${mark} *${escapeText(targetLabel(e.target))}* · ${when}${link}${alert}\n${escapeText(e.summary)}`.slice(0, 2900);
}

function section(blockId: string, text: string): KnownBlock {
  return { type: 'section', block_id: blockId, text: { type: 'mrkdwn', text } };
}
