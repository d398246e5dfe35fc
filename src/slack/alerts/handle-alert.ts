/**
 * One alert of a webhook notification. Firing, first time: check the access file (requester
 * `alertmanager`, the alert's channel), post the parent (so its ts is known at once), remember it, and
 * queue the diagnosis into it. Firing again (Alertmanager's repeat_interval, or the other replica of an HA
 * pair): nothing, except at most one refresh per JWTCHECK_ALERT_REFRESH. Resolved: a note in the thread
 * and the parent rewritten. Problems no retry can fix answer "ignored"; failures a retry may fix throw,
 * so the route answers 5xx and Alertmanager sends the notification again (dedup makes that safe).
 */
import type { WebClient } from '@slack/web-api';
import { ALERT_REQUESTER } from '../../job/job-data.js';
import { renderAlertResolved, renderRefreshNote, renderResolvedNote, withAlertHeading, type LastVerdict } from '../../render/alert-blocks.js';
import { renderNotice, renderParent } from '../../render/slack-blocks.js';
import { ALERT_FIRING_TTL_SECONDS, ALERT_RESOLVED_TTL_SECONDS, type AlertStateStore, type AlertThread } from '../../store/alert-state.js';
import type { RecentDiagnoses } from '../../store/recent-diagnoses.js';
import type { SlackDeps } from '../deps.js';
import { slackErrorCode } from '../../lib/slack-errors.js';
import { authoriseDiagnosis, requestJobId, submitAuthorised, type DiagnosisRequest } from '../request-diagnosis.js';
import { planAlert, type WebhookAlert } from './payload.js';

export interface AlertDeps {
  slack: SlackDeps;
  client: WebClient;
  state: AlertStateStore;
  recent: RecentDiagnoses;
  defaultChannel: string | undefined;
  refreshMs: number;
  now: () => Date;
}

export type AlertOutcome = 'diagnosing' | 'refreshed' | 'repeat' | 'resolved' | 'ignored';

type Planned = Extract<ReturnType<typeof planAlert>, { ok: true }>;

export async function handleAlert(deps: AlertDeps, alert: WebhookAlert): Promise<AlertOutcome> {
  const log = deps.slack.logger.child({ component: 'alertmanager', alertname: alert.labels['alertname'], fingerprint: alert.fingerprint, status: alert.status });
  const plan = planAlert(alert, deps.defaultChannel);
  if (!plan.ok) {
    log.warn({ reason: plan.reason, labels: Object.keys(alert.labels) }, 'alert ignored');
    return 'ignored';
  }
  const thread = await deps.state.get(plan.key);
  if (alert.status === 'resolved') return resolve(deps, plan, thread, alert, log);
  if (thread) return repeat(deps, plan, thread, log);

  const request: DiagnosisRequest = {
    target: plan.target,
    team: ALERT_REQUESTER,
    user: ALERT_REQUESTER,
    channel: plan.channel,
    inBotDm: false,
    trigger: `alert:${plan.key}`,
    source: 'alert',
    alert: plan.alert,
  };
  const authorised = await authoriseDiagnosis(deps.slack, deps.client, request);
  if (!authorised.allowed) {
    log.warn({ channel: plan.channel, target: plan.target }, 'alert refused by the access file; nothing posted');
    return 'ignored';
  }
  if (!(await deps.state.claim(plan.key, { channel: plan.channel }))) return 'repeat'; // another replica's copy got here first
  let parentTs: string | undefined;
  try {
    const posted = await deps.client.chat.postMessage({
      channel: plan.channel,
      ...withAlertHeading(renderParent({ state: 'queued', target: plan.target }), plan.alert),
      unfurl_links: false,
      unfurl_media: false,
    });
    parentTs = posted.ts;
  } catch (err) {
    await deps.state.forget(plan.key);
    const code = slackErrorCode(err);
    if (code === undefined) throw err; // Slack unreachable: let Alertmanager retry
    log.error({ channel: plan.channel, slackError: code }, 'cannot post the alert diagnosis in its channel: invite the bot there (/invite @jwtcheck) or fix jwtcheck_channel');
    return 'ignored';
  }
  if (!parentTs) throw new Error('chat.postMessage answered without a ts');
  await deps.state.takeRefresh(plan.key, deps.refreshMs); // the first run opens the refresh interval
  const jobId = await submitInto(deps, plan, { ...request, threadTs: parentTs }, parentTs);
  await deps.state.put(plan.key, { channel: plan.channel, parentTs, ...(jobId ? { jobId } : {}) }, ALERT_FIRING_TTL_SECONDS);
  log.info({ channel: plan.channel, target: plan.target, jobId }, 'alert diagnosis started');
  return 'diagnosing';
}

async function repeat(deps: AlertDeps, plan: Planned, thread: AlertThread, log: SlackDeps['logger']): Promise<AlertOutcome> {
  if (thread.resolvedAt || !thread.parentTs) return 'repeat';
  if (!(await deps.state.takeRefresh(plan.key, deps.refreshMs))) {
    await deps.state.put(plan.key, thread, ALERT_FIRING_TTL_SECONDS); // still firing: remember it as long again
    return 'repeat';
  }
  const now = deps.now();
  await deps.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.parentTs, ...renderRefreshNote(plan.alert, now) });
  const request: DiagnosisRequest = {
    target: plan.target,
    team: ALERT_REQUESTER,
    user: ALERT_REQUESTER,
    channel: thread.channel,
    threadTs: thread.parentTs,
    inBotDm: false,
    trigger: `alert:${plan.key}:${now.getTime()}`,
    source: 'alert',
    alert: plan.alert,
  };
  const jobId = await submitInto(deps, plan, request, thread.parentTs);
  await deps.state.put(plan.key, { ...thread, ...(jobId ? { jobId } : {}) }, ALERT_FIRING_TTL_SECONDS);
  log.info({ jobId }, 'alert still firing: diagnosis refreshed');
  return 'refreshed';
}

async function resolve(deps: AlertDeps, plan: Planned, thread: AlertThread | undefined, alert: WebhookAlert, log: SlackDeps['logger']): Promise<AlertOutcome> {
  if (!thread?.parentTs || thread.resolvedAt) {
    log.info({ known: thread !== undefined }, 'resolved alert without an open thread; nothing to update');
    return 'repeat';
  }
  const ended = Date.parse(alert.endsAt ?? '');
  const resolvedAt = Number.isFinite(ended) && ended > 0 ? new Date(ended) : deps.now();
  const last = await lastVerdict(deps.recent, thread.jobId);
  await deps.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.parentTs, ...renderResolvedNote(plan.alert, resolvedAt) });
  await deps.client.chat.update({ channel: thread.channel, ts: thread.parentTs, ...renderAlertResolved(plan.alert, plan.target, resolvedAt, last) });
  await deps.state.put(plan.key, { ...thread, resolvedAt: resolvedAt.toISOString() }, ALERT_RESOLVED_TTL_SECONDS);
  log.info({ channel: thread.channel }, 'alert resolved');
  return 'resolved';
}

/** Queues the diagnosis into the alert's parent; a refusal (no worker for the cluster, queue down) is told in the thread. */
async function submitInto(deps: AlertDeps, plan: Planned, request: DiagnosisRequest, parentTs: string): Promise<string | undefined> {
  const tell = async (text: string): Promise<void> => {
    await deps.client.chat.postMessage({ channel: request.channel, thread_ts: parentTs, ...renderNotice(text) });
    await deps.client.chat.update({
      channel: request.channel,
      ts: parentTs,
      ...withAlertHeading(renderParent({ state: 'failed', target: plan.target, message: text }), plan.alert),
    });
  };
  const submitted = await submitAuthorised(deps.slack, request, plan.target, tell);
  return submitted ? requestJobId(request) : undefined;
}

async function lastVerdict(recent: RecentDiagnoses, jobId: string | undefined): Promise<LastVerdict | undefined> {
  if (!jobId) return undefined;
  const entry = (await recent.list(ALERT_REQUESTER)).find((e) => e.jobId === jobId);
  return entry && entry.verdict !== 'not_run' ? { status: entry.verdict, summary: entry.summary } : undefined;
}
