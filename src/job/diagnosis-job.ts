/**
 * The one job handler, used by the queue worker and by the app's in-process mode alike.
 *
 * At-least-once delivery means this can run twice for one request (a worker dies mid-job, a Slack call
 * fails and BullMQ retries). The Slack side must still end with one parent message and exactly one
 * checklist, so every message this job posts is recorded in `JobStateStore` (BullMQ: the job's progress
 * field, which survives retries and stalls) right after it is posted. A later attempt reuses the parent
 * and deletes the replies an earlier attempt left. The token is unsealed here, handed to `diagnose`,
 * and dropped; it never reaches Slack, the store or a log.
 */
import { slackErrorCode } from '../lib/slack-errors.js';
import type { WebClient } from '@slack/web-api';
import type { Diagnose, DiagnoseProgress } from '../diagnose.js';
import type { Report } from '../engine/report.js';
import type { ClusterSource } from '../model/cluster-source.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import type { Target } from '../model/index.js';
import { JwtcheckError, isJwtcheckError } from '../errors.js';
import { maskSecrets, type Logger } from '../lib/logger.js';
import type { DiagnosisJobData } from './job-data.js';
import { unsealToken } from './seal.js';
import {
  escapeText,
  renderChecklist,
  renderNotice,
  renderParent,
  renderSummary,
  targetLabel,
  type ParentState,
  type SlackMessage,
} from '../render/slack-blocks.js';
import { findJobParents, isAmbiguousPostFailure, parentMetadata } from './job-parent.js';
import { withAlertHeading } from '../render/alert-blocks.js';
import type { JobEnd } from './audit.js';
import { throttle } from '../lib/throttle.js';

export const PROGRESS_INTERVAL_MS = 1500;

/** What the job has posted so far; persisted across attempts. Holds Slack timestamps only. */
export interface JobSlackState {
  parentChannel?: string;
  parentTs?: string;
  replies: string[];
  finished?: boolean;
  /** A parent post was sent and its ts never recorded: the next attempt looks for it before posting. */
  parentPending?: boolean;
}

export interface JobStateStore {
  load(): Promise<JobSlackState | undefined>;
  save(state: JobSlackState): Promise<void>;
}

export interface DiagnosisRuntime {
  client: WebClient;
  diagnose: Diagnose;
  /** A read-only view of the cluster named by target.cluster. May throw JwtcheckError (bad kubeconfig, unknown context). */
  openSource(target: Target): Promise<ClusterSource> | ClusterSource;
  /** A fresh guarded fetcher per diagnosis. */
  createFetcher(): DocumentFetcher;
  /** Required when jobs carry a sealed token. */
  encryptionKey?: Buffer;
  rootNamespace: string;
  logLines: number;
  fetchTimeoutMs: number;
  logger: Logger;
  /** Hook for metrics: called once per finished diagnosis. */
  onDiagnosis?(verdict: string, seconds: number): void;
  /** Called once per job that reported or could not run (not on a retry): the audit line, the counter, App Home. */
  onJobEnd?(end: JobEnd): Promise<void>;
  progressIntervalMs?: number;
}

export interface JobRunContext {
  jobId: string;
  store: JobStateStore;
  /** Last attempt: on an unexpected error, tell the user instead of rethrowing for a retry. */
  finalAttempt: boolean;
  signal?: AbortSignal;
}

export type JobOutcome = { kind: 'reported'; verdict: string } | { kind: 'could-not-run'; message: string } | { kind: 'already-done' };

/** Slack answers that no retry can fix: the bot cannot post where it was asked to. */
const UNPOSTABLE = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'restricted_action', 'cannot_reply_to_message']);

/** What the job saw that its outcome does not say: where the parent is, the verdict's sentence. */
type Seen = Pick<JobEnd, 'parent' | 'summary'>;

export async function runDiagnosisJob(data: DiagnosisJobData, runtime: DiagnosisRuntime, ctx: JobRunContext): Promise<JobOutcome> {
  const started = Date.now();
  const seen: Seen = {};
  const outcome = await runJob(data, runtime, ctx, seen);
  if (outcome.kind !== 'already-done' && runtime.onJobEnd) {
    // The outcome is known only here, so the audit line is written here; its failure must not fail the job.
    await runtime.onJobEnd({ data, jobId: ctx.jobId, outcome, durationMs: Date.now() - started, ...seen }).catch((err: unknown) =>
      runtime.logger.warn({ err, jobId: ctx.jobId }, 'could not record the end of the diagnosis'),
    );
  }
  return outcome;
}

async function runJob(data: DiagnosisJobData, runtime: DiagnosisRuntime, ctx: JobRunContext, seen: Seen): Promise<JobOutcome> {
  const log = runtime.logger.child({ jobId: ctx.jobId, target: data.target, user: data.requestedBy.user });
  const state: JobSlackState = (await ctx.store.load()) ?? { replies: [] };
  if (state.finished) {
    log.info('job already reported to Slack; nothing to do');
    return { kind: 'already-done' };
  }
  const restarted = state.parentTs !== undefined;
  if (data.alert && data.replyTo.threadTs && !state.parentTs) {
    // An alert's parent is posted by the app (it must know its ts at once for re-sends and `resolved`): the job takes it over.
    state.parentChannel = data.replyTo.channel;
    state.parentTs = data.replyTo.threadTs;
  }
  const slack = new SlackThread(runtime.client, data, state, ctx.store, ctx.jobId, log);
  const withToken = data.sealedToken !== undefined;

  try {
    await slack.startParent({ state: 'running', target: data.target, withToken, restarted });
    if (state.parentTs && state.parentChannel) seen.parent = { channel: state.parentChannel, ts: state.parentTs };
  } catch (err) {
    if (slackErrorCode(err) && UNPOSTABLE.has(slackErrorCode(err) ?? '')) {
      await tellRequesterDirectly(runtime.client, data, slackErrorCode(err) ?? '', log);
      return { kind: 'could-not-run', message: `cannot post in ${data.replyTo.channel}` };
    }
    throw err;
  }

  let report: Report;
  try {
    report = await runDiagnosis(data, runtime, ctx, slack, withToken);
  } catch (err) {
    if (isJwtcheckError(err)) {
      // Configuration or cluster access: a retry would say the same; say it once, clearly.
      await slack.finishWithFailure(data.target, err.message);
      seen.summary = err.message;
      log.warn({ code: err.code, err }, 'diagnosis could not run');
      return { kind: 'could-not-run', message: err.message };
    }
    if (ctx.finalAttempt) {
      const message = `jwtcheck hit an unexpected error (${maskSecrets(err instanceof Error ? err.message : String(err))}). Run it again with the Re-run button; if it keeps failing, tell the team that runs jwtcheck.`;
      await slack.finishWithFailure(data.target, message).catch(() => undefined);
      log.error({ err }, 'diagnosis failed on its last attempt');
      return { kind: 'could-not-run', message };
    }
    throw err;
  }

  try {
    await slack.postThread(report);
    await slack.updateParent({ state: 'done', report, withToken });
    await slack.markFinished();
  } catch (err) {
    if (!ctx.finalAttempt) throw err;
    // Last resort: the parent must not stay at "Checking…" when no attempt is left.
    const message = `jwtcheck could not post the results (${maskSecrets(err instanceof Error ? err.message : String(err))}). Press Re-run to try again; if it keeps failing, tell the team that runs jwtcheck.`;
    await slack.finishWithFailure(data.target, message).catch((e: unknown) => log.error({ err: e }, 'could not mark the parent as failed either'));
    log.error({ err }, 'results could not be posted on the last attempt');
    return { kind: 'could-not-run', message };
  }
  runtime.onDiagnosis?.(report.verdict.status, report.durationMs / 1000);
  seen.summary = report.verdict.summary;
  log.info({ verdict: report.verdict.status, counts: report.counts, durationMs: report.durationMs }, 'diagnosis reported');
  return { kind: 'reported', verdict: report.verdict.status };
}

async function runDiagnosis(
  data: DiagnosisJobData,
  runtime: DiagnosisRuntime,
  ctx: JobRunContext,
  slack: SlackThread,
  withToken: boolean,
): Promise<Report> {
  if (data.sealedToken !== undefined && !runtime.encryptionKey) {
    throw new JwtcheckError('config', 'This job carries a sealed token but the worker has no JOB_ENCRYPTION_KEY: set the same key as the app\'s and send the token again.');
  }
  // The clear token lives only in this frame and in diagnose's options: dropped when this returns.
  const token = data.sealedToken !== undefined && runtime.encryptionKey ? unsealToken(data.sealedToken, runtime.encryptionKey) : undefined;
  const source = await runtime.openSource(data.target);
  const progress = throttle<DiagnoseProgress>(
    (p) => slack.updateParent({ state: 'running', target: data.target, withToken, done: p.done, total: p.total }),
    runtime.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
  );
  try {
    return await runtime.diagnose({
      target: data.target,
      source,
      fetcher: runtime.createFetcher(),
      token,
      rootNamespace: runtime.rootNamespace,
      logLines: runtime.logLines,
      fetchTimeoutMs: runtime.fetchTimeoutMs,
      onResult: (_result, p) => progress.push(p),
      signal: ctx.signal,
    });
  } finally {
    await progress.stop();
  }
}

/** The parent message and its thread, with every posted ts recorded before the next step. */
class SlackThread {
  constructor(
    private readonly client: WebClient,
    private readonly data: DiagnosisJobData,
    private readonly state: JobSlackState,
    private readonly store: JobStateStore,
    private readonly jobId: string,
    private readonly log: Logger,
  ) {}

  private get threadTs(): string | undefined {
    return this.data.replyTo.threadTs ?? this.state.parentTs;
  }

  async startParent(parent: ParentState): Promise<void> {
    // An earlier attempt sent a parent and never heard back: it may exist.
    if (!this.state.parentTs && this.state.parentPending) await this.adoptPostedParent();
    if (this.state.parentTs && this.state.parentChannel) {
      // An earlier attempt got this far: reuse its parent, remove its partial replies.
      await this.updateParent(parent);
      for (const ts of this.state.replies) await this.deleteQuietly(ts);
      this.state.replies = [];
      await this.store.save(this.state);
      return;
    }
    const message = this.render(parent);
    this.state.parentPending = true;
    await this.store.save(this.state);
    let posted;
    try {
      posted = await this.client.chat.postMessage({
        channel: this.data.replyTo.channel,
        ...(this.data.replyTo.threadTs ? { thread_ts: this.data.replyTo.threadTs } : {}),
        ...message,
        metadata: parentMetadata(this.jobId),
        unfurl_links: false,
        unfurl_media: false,
      });
    } catch (err) {
      if (isAmbiguousPostFailure(err) && (await this.adoptPostedParent())) return this.updateParent(parent);
      throw err;
    }
    this.state.parentChannel = posted.channel ?? this.data.replyTo.channel;
    this.state.parentTs = posted.ts;
    this.state.parentPending = false;
    await this.store.save(this.state);
    // The WebClient retries a 5xx by posting again, so an answer lost inside this call leaves extra parents.
    await this.removeOtherParents();
  }

  /** Takes over the oldest parent this job already posted, if any, and removes the others. */
  private async adoptPostedParent(): Promise<boolean> {
    const found = await findJobParents(this.client, this.data.replyTo, this.jobId, this.log);
    const [first] = found;
    if (first === undefined) return false;
    this.state.parentChannel = this.data.replyTo.channel;
    this.state.parentTs = first;
    this.state.parentPending = false;
    await this.store.save(this.state);
    this.log.info({ parentTs: first, found: found.length }, 'found the parent an earlier try already posted');
    await this.removeOtherParents(found);
    return true;
  }

  private async removeOtherParents(known?: string[]): Promise<void> {
    const found = known ?? (await findJobParents(this.client, this.data.replyTo, this.jobId, this.log));
    for (const ts of found.filter((t) => t !== this.state.parentTs)) {
      await this.deleteQuietly(ts).catch((err: unknown) => this.log.warn({ err, ts }, 'could not remove a duplicate parent'));
    }
  }

  async updateParent(parent: ParentState): Promise<void> {
    if (!this.state.parentTs || !this.state.parentChannel) return;
    await this.client.chat.update({ channel: this.state.parentChannel, ts: this.state.parentTs, ...this.render(parent) });
  }

  private render(parent: ParentState): SlackMessage {
    return this.data.alert ? withAlertHeading(renderParent(parent), this.data.alert) : renderParent(parent);
  }

  async postThread(report: Report): Promise<void> {
    const summary = renderSummary(report);
    if (summary) await this.reply(summary);
    for (const page of renderChecklist(report)) await this.reply(page);
  }

  async finishWithFailure(target: Target, message: string): Promise<void> {
    // The thread note is best effort; the parent's final state is what must land.
    await this.reply(renderNotice(`🛑 ${message}`)).catch((err: unknown) => this.log.warn({ err }, 'could not post the failure in the thread'));
    await this.updateParent({ state: 'failed', target, message });
    await this.markFinished();
  }

  async markFinished(): Promise<void> {
    this.state.finished = true;
    await this.store.save(this.state);
  }

  private async reply(message: SlackMessage): Promise<void> {
    const channel = this.state.parentChannel ?? this.data.replyTo.channel;
    const threadTs = this.threadTs;
    const posted = await this.client.chat.postMessage({
      channel,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      ...message,
      unfurl_links: false,
      unfurl_media: false,
    });
    if (posted.ts) {
      this.state.replies.push(posted.ts);
      await this.store.save(this.state);
    }
  }

  private async deleteQuietly(ts: string): Promise<void> {
    try {
      await this.client.chat.delete({ channel: this.state.parentChannel ?? this.data.replyTo.channel, ts });
    } catch (err) {
      if (slackErrorCode(err) !== 'message_not_found') throw err;
    }
  }
}

/** The bot cannot post in the channel: the requester still deserves a sentence, so DM them. */
async function tellRequesterDirectly(client: WebClient, data: DiagnosisJobData, code: string, log: Logger): Promise<void> {
  // The channel link is ours (an id Slack validated); the rest goes through the one escaping function.
  const where = `<#${data.replyTo.channel}>`;
  const label = escapeText(targetLabel(data.target));
  const text =
    code === 'not_in_channel' || code === 'channel_not_found'
      ? `I could not post the JWT check for ${label} in ${where} because I am not a member: invite me with \`/invite @jwtcheck\` there, or run \`/jwtcheck\` in a channel I am in.`
      : `I could not post the JWT check for ${label} in ${where} (${escapeText(code)}): run \`/jwtcheck\` in another channel or in a direct message with me.`;
  try {
    await client.chat.postMessage({ channel: data.requestedBy.user, text });
  } catch (err) {
    log.error({ err, slackError: code }, 'could not tell the requester that the channel is not postable');
  }
}

