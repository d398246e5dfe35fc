/**
 * Finding the parent message a job already posted. chat.postMessage has no idempotency key: when its answer
 * is lost (a 5xx after Slack stored the message, a dropped connection) a retry, by the WebClient or by the
 * queue, posts a second parent that no later step knows about, and it stays at "Checking…" forever. So
 * every parent carries message `metadata` naming its job, and after an ambiguous failure the job reads the
 * conversation (conversations.history, or conversations.replies inside a DM thread) for parents it posted.
 * Reading needs the history scope of that conversation type; without it the lookup finds nothing and the
 * old behaviour (possibly a duplicate) remains, which the job logs.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../lib/logger.js';

export const PARENT_EVENT_TYPE = 'jwtcheck_parent';
/** How far back to look: a job's attempts are minutes apart, not hours. */
const LOOKBACK_SECONDS = 60 * 60;
const PAGE_SIZE = 200;

export function parentMetadata(jobId: string): { event_type: string; event_payload: { job_id: string } } {
  return { event_type: PARENT_EVENT_TYPE, event_payload: { job_id: jobId } };
}

interface MessageLike {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/** The ts of every parent this job posted in the conversation, oldest first; [] when it cannot be read. */
export async function findJobParents(
  client: WebClient,
  where: { channel: string; threadTs?: string },
  jobId: string,
  logger: Logger,
  nowMs = Date.now(),
): Promise<string[]> {
  let messages: MessageLike[];
  try {
    const oldest = String(Math.floor(nowMs / 1000) - LOOKBACK_SECONDS);
    const page = where.threadTs
      ? await client.conversations.replies({ channel: where.channel, ts: where.threadTs, oldest, include_all_metadata: true, limit: PAGE_SIZE })
      : await client.conversations.history({ channel: where.channel, oldest, include_all_metadata: true, limit: PAGE_SIZE });
    messages = (page.messages ?? []) as MessageLike[];
  } catch (err) {
    logger.warn({ err, channel: where.channel }, 'could not read the conversation to find a parent already posted (history scope?)');
    return [];
  }
  return messages
    .filter((m) => m.metadata?.event_type === PARENT_EVENT_TYPE && m.metadata.event_payload?.['job_id'] === jobId && typeof m.ts === 'string')
    .map((m) => m.ts as string)
    .sort((a, b) => Number(a) - Number(b));
}

/** A failure after which the message may or may not exist: no answer, or a 5xx. Slack's `{ok:false}` is an answer. */
export function isAmbiguousPostFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'slack_webapi_request_error' || code === 'slack_webapi_http_error';
}
