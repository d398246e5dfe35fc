/**
 * Signed requests to the real Bolt HTTPReceiver, shaped like what Slack sends: slash commands and
 * interactions as a form with the bare `application/x-www-form-urlencoded` content type (Bolt answers 400
 * to `…; charset=utf-8`), events as a JSON `event_callback` envelope. Signing follows Slack's v0 scheme.
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SLACK_TEST_IDS = {
  teamId: 'T0TEAM',
  userId: 'U0ALICE',
  userName: 'alice',
  channelId: 'C0INCIDENT',
  channelName: 'incident',
  apiAppId: 'A0JWTCHECK',
  botUserId: 'U0BOT',
} as const;

/** 'v0=<hex>' HMAC-SHA256 of `v0:${ts}:${body}` (X-Slack-Signature). */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SentRequest {
  status: number;
  body: string;
  ms: number;
  /** The body parsed as JSON when it is JSON. */
  json?: unknown;
}

export type SlashField =
  | 'command'
  | 'text'
  | 'user_id'
  | 'user_name'
  | 'channel_id'
  | 'channel_name'
  | 'team_id'
  | 'response_url'
  | 'trigger_id';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

async function post(
  url: string,
  contentType: string,
  body: string,
  headers: { timestamp: number; signature: string; extra?: Record<string, string> },
): Promise<SentRequest> {
  const started = performance.now();
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'X-Slack-Request-Timestamp': String(headers.timestamp),
      'X-Slack-Signature': headers.signature,
      ...headers.extra,
    },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: text, ms, ...(json === undefined ? {} : { json }) };
}

/** A slash command's fields as Slack sends them (a form over HTTP, the same object in Socket Mode). */
export function slashCommandFields(fields: Partial<Record<SlashField, string>> = {}): Record<string, string> {
  const form: Record<string, string> = {
    token: 'deprecated-verification-token',
    team_id: SLACK_TEST_IDS.teamId,
    team_domain: 't0team',
    channel_id: SLACK_TEST_IDS.channelId,
    channel_name: SLACK_TEST_IDS.channelName,
    user_id: SLACK_TEST_IDS.userId,
    user_name: SLACK_TEST_IDS.userName,
    command: '/jwtcheck',
    text: '',
    api_app_id: SLACK_TEST_IDS.apiAppId,
    is_enterprise_install: 'false',
    trigger_id: `${Date.now()}.${randomBytes(6).toString('hex')}`,
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) form[k] = v;
  return form;
}

export function sendSlashCommand(
  url: string,
  secret: string,
  fields: Partial<Record<SlashField, string>>,
  options: { timestamp?: number; tamper?: boolean; signature?: string } = {},
): Promise<SentRequest> {
  const body = new URLSearchParams(slashCommandFields(fields)).toString();
  const timestamp = options.timestamp ?? nowSeconds();
  const signature = options.signature ?? slackSignature(secret, timestamp, body);
  // Tampering after signing: the receiver must notice the body no longer matches the signature.
  const sent = options.tamper === true ? `${body}&text_tampered=1` : body;
  return post(url, 'application/x-www-form-urlencoded', sent, { timestamp, signature });
}

/** The Events API `event_callback` wrapper (the HTTP body, and the `payload` of a Socket Mode events_api envelope). */
export function eventCallback(event: Record<string, unknown>, options: { eventId?: string; timestamp?: number } = {}): Record<string, unknown> {
  return {
    token: 'deprecated-verification-token',
    team_id: SLACK_TEST_IDS.teamId,
    api_app_id: SLACK_TEST_IDS.apiAppId,
    event,
    type: 'event_callback',
    event_id: options.eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: options.timestamp ?? nowSeconds(),
    authorizations: [
      {
        enterprise_id: null,
        team_id: SLACK_TEST_IDS.teamId,
        user_id: SLACK_TEST_IDS.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

/** `retryNum` sets X-Slack-Retry-Num, as Slack does when it re-delivers an event it saw no 200 for. */
export function sendEvent(
  url: string,
  secret: string,
  event: Record<string, unknown>,
  options: { eventId?: string; timestamp?: number; retryNum?: number } = {},
): Promise<SentRequest> {
  const timestamp = options.timestamp ?? nowSeconds();
  const body = JSON.stringify(eventCallback(event, { ...options, timestamp }));
  const retry: Record<string, string> = options.retryNum === undefined ? {} : { 'X-Slack-Retry-Num': String(options.retryNum), 'X-Slack-Retry-Reason': 'http_timeout' };
  return post(url, 'application/json', body, { timestamp, signature: slackSignature(secret, timestamp, body), extra: retry });
}

/** The "Check against a service" modal submitted with these values (namespace foo, no cluster). */
export function checkTokenSubmission(view: { callback_id: string; private_metadata: string }, service: string, triggerId = '112.submit'): Record<string, unknown> {
  return {
    type: 'view_submission',
    user: { id: SLACK_TEST_IDS.userId, team_id: SLACK_TEST_IDS.teamId },
    team: { id: SLACK_TEST_IDS.teamId },
    trigger_id: triggerId,
    view: {
      id: 'V0VIEW',
      hash: 'h1',
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: { values: { service: { value: { type: 'plain_text_input', value: service } }, namespace: { value: { type: 'plain_text_input', value: 'foo' } }, cluster: { value: { type: 'plain_text_input', value: null } } } },
    },
  };
}

export function sendInteraction(url: string, secret: string, payload: Record<string, unknown>): Promise<SentRequest> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const timestamp = nowSeconds();
  return post(url, 'application/x-www-form-urlencoded', body, { timestamp, signature: slackSignature(secret, timestamp, body) });
}
