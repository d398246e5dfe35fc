/**
 * A Slack Web API stand-in on 127.0.0.1 that records every call, for Bolt's WebClient
 * (`clientOptions.slackApiUrl = fake.apiUrl`) and for `respond()` (response_url on the same server).
 * Answers have the fields the app reads back (ts, channel, message); failures are injected per method
 * to exercise rate limits (429 + Retry-After), 5xx and `{ok:false,error}`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface SlackCall {
  method: string;
  /** Form fields or JSON body; JSON-string fields (blocks, attachments, metadata, view) parsed. */
  args: Record<string, unknown>;
  token?: string;
  at: number;
  /** true when the call was answered with an injected failure. */
  failed?: boolean;
}

/** `afterPosting`: chat.postMessage reaches Slack (the message exists) but the answer is a 500: an ambiguous failure. */
export type SlackFailure = { status: 429; retryAfterSeconds: number } | { status: 500; afterPosting?: boolean } | { error: string };

/** A message as Slack keeps it: what conversations.history / conversations.replies return. */
export interface StoredMessage {
  channel: string;
  ts: string;
  text?: unknown;
  thread_ts?: string;
  metadata?: unknown;
  bot_id: string;
}

export interface FakeSlack {
  apiUrl: string;
  responseUrl(id?: string): string;
  calls: SlackCall[];
  callsTo(method: string): SlackCall[];
  failNext(method: string, failure: SlackFailure, times?: number): void;
  /** Answer a method with your own function (e.g. apps.connections.open from the Socket Mode stand-in). */
  answerWith(method: string, answer: (call: SlackCall) => Record<string, unknown>): void;
  /** Messages posted and not deleted, oldest first. */
  messagesIn(channel: string): StoredMessage[];
  /** Sent as auth.test's `x-oauth-scopes` header (comma-separated), as Slack does; unset: no header. */
  grantedScopes: string | undefined;
  waitFor(predicate: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  close(): Promise<void>;
}

export const FAKE_SLACK_IDS = { botUserId: 'U0BOT', botId: 'B0BOT', teamId: 'T0TEAM', dmChannel: 'D0DM' } as const;

/** The WebClient JSON-encodes every non-scalar argument into the form; these are the ones we decode. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'metadata', 'view', 'unfurls', 'user_auth_blocks']);
const DEFAULT_WAIT_MS = 2000;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseArgs(contentType: string, body: string, query: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [k, v] of query) args[k] = v;
  if (body === '') return args;
  if (contentType.startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed !== null && typeof parsed === 'object') Object.assign(args, parsed);
    } catch {
      args['__raw'] = body;
    }
    return args;
  }
  for (const [k, v] of new URLSearchParams(body)) {
    if (JSON_FIELDS.has(k)) {
      try {
        args[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON after all: keep the string, as Slack would reject it anyway
      }
    }
    args[k] = v;
  }
  return args;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const failures = new Map<string, { failure: SlackFailure; left: number }[]>();
  const custom = new Map<string, (call: SlackCall) => Record<string, unknown>>();
  const waiters = new Set<{
    predicate: (c: SlackCall) => boolean;
    resolve: (c: SlackCall) => void;
    reject: (e: Error) => void;
  }>();
  const timers = new Set<NodeJS.Timeout>();
  let tsCounter = 100;
  const stored: StoredMessage[] = [];
  const store = (args: Record<string, unknown>, ts: string): void => {
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    stored.push({
      channel: str(args['channel']) ?? '',
      ts,
      text: args['text'],
      bot_id: FAKE_SLACK_IDS.botId,
      ...(str(args['thread_ts']) ? { thread_ts: str(args['thread_ts']) } : {}),
      ...(args['metadata'] !== undefined ? { metadata: args['metadata'] } : {}),
    });
  };
  const nextTs = (): string => `1700000000.${String(tsCounter++).padStart(6, '0')}`;

  function record(call: SlackCall): void {
    calls.push(call);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(call)) {
        waiters.delete(waiter);
        waiter.resolve(call);
      }
    }
  }

  function takeFailure(method: string): SlackFailure | undefined {
    const queue = failures.get(method);
    const head = queue?.[0];
    if (queue === undefined || head === undefined) return undefined;
    head.left -= 1;
    if (head.left <= 0) queue.shift();
    return head.failure;
  }

  function answer(method: string, args: Record<string, unknown>): Record<string, unknown> {
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const message = (ts: string): Record<string, unknown> => ({
      type: 'message',
      user: FAKE_SLACK_IDS.botUserId,
      bot_id: FAKE_SLACK_IDS.botId,
      team: FAKE_SLACK_IDS.teamId,
      ts,
      ...(args['text'] === undefined ? {} : { text: args['text'] }),
      ...(args['blocks'] === undefined ? {} : { blocks: args['blocks'] }),
      ...(args['thread_ts'] === undefined ? {} : { thread_ts: args['thread_ts'] }),
    });
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://t0team.slack.com/',
          team: 'Test Team',
          user: 'jwtcheck',
          team_id: FAKE_SLACK_IDS.teamId,
          user_id: FAKE_SLACK_IDS.botUserId,
          bot_id: FAKE_SLACK_IDS.botId,
          is_enterprise_install: false,
        };
      case 'chat.postMessage': {
        const ts = nextTs();
        store(args, ts);
        return { ok: true, channel: str(args['channel']), ts, message: message(ts) };
      }
      case 'chat.update': {
        const ts = str(args['ts']) ?? nextTs();
        return { ok: true, channel: str(args['channel']), ts, text: args['text'], message: message(ts) };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'chat.delete': {
        const at = stored.findIndex((m) => m.channel === str(args['channel']) && m.ts === str(args['ts']));
        if (at < 0) return { ok: false, error: 'message_not_found' };
        stored.splice(at, 1);
        return { ok: true, channel: str(args['channel']), ts: str(args['ts']) };
      }
      case 'conversations.history': {
        const inChannel = stored.filter((m) => m.channel === str(args['channel']) && (m.thread_ts === undefined || m.thread_ts === m.ts));
        return { ok: true, messages: [...inChannel].reverse(), has_more: false };
      }
      case 'conversations.replies': {
        const root = str(args['ts']);
        const thread = stored.filter((m) => m.channel === str(args['channel']) && (m.ts === root || m.thread_ts === root));
        return { ok: true, messages: thread, has_more: false };
      }
      case 'chat.getPermalink': {
        const channel = str(args['channel']) ?? '';
        return { ok: true, channel, permalink: `https://t0team.slack.com/archives/${channel}/p${(str(args['message_ts']) ?? '').replace('.', '')}` };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: FAKE_SLACK_IDS.dmChannel } };
      case 'views.open':
      case 'views.publish':
      case 'views.update': {
        const view = args['view'] !== null && typeof args['view'] === 'object' ? args['view'] : {};
        return { ok: true, view: { id: 'V0VIEW', team_id: FAKE_SLACK_IDS.teamId, ...view } };
      }
      default:
        return { ok: true };
    }
  }

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const args = parseArgs(String(req.headers['content-type'] ?? ''), body, url.searchParams);
      const responseMatch = /^\/response\/([^/]+)$/.exec(url.pathname);
      const apiMatch = /^\/api\/([^/]+)$/.exec(url.pathname);
      const method = responseMatch !== null ? 'response_url' : apiMatch?.[1];
      if (method === undefined) {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
        return;
      }
      if (responseMatch?.[1] !== undefined) args['__id'] = decodeURIComponent(responseMatch[1]);
      const auth = req.headers.authorization;
      const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : typeof args['token'] === 'string' ? args['token'] : undefined;
      const call: SlackCall = { method, args, at: Date.now(), ...(token === undefined ? {} : { token }) };

      const failure = takeFailure(method);
      let status = 200;
      let headers: Record<string, string> = { 'Content-Type': 'application/json; charset=utf-8' };
      let reply: unknown;
      if (failure !== undefined) {
        call.failed = true;
        if ('error' in failure) reply = { ok: false, error: failure.error };
        else if (failure.status === 429) {
          status = 429;
          headers = { ...headers, 'Retry-After': String(failure.retryAfterSeconds) };
          reply = { ok: false, error: 'ratelimited' };
        } else {
          status = 500;
          reply = { ok: false, error: 'internal_error' };
          if (failure.afterPosting === true && method === 'chat.postMessage') store(args, nextTs());
        }
      } else reply = method === 'response_url' ? { ok: true } : (custom.get(method)?.(call) ?? answer(method, args));
      if (method === 'auth.test' && fake.grantedScopes !== undefined) headers = { ...headers, 'x-oauth-scopes': fake.grantedScopes };
      record(call);
      res.writeHead(status, headers);
      res.end(JSON.stringify(reply));
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`fake slack bug: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const fake: FakeSlack = {
    grantedScopes: undefined,
    messagesIn(channel: string): StoredMessage[] {
      return stored.filter((m) => m.channel === channel);
    },
    apiUrl: `${base}/api/`,
    calls,
    responseUrl(id?: string): string {
      return `${base}/response/${encodeURIComponent(id ?? randomBytes(6).toString('hex'))}`;
    },
    callsTo(method: string): SlackCall[] {
      return calls.filter((c) => c.method === method);
    },
    failNext(method, failure, times = 1): void {
      const queue = failures.get(method) ?? [];
      queue.push({ failure, left: times });
      failures.set(method, queue);
    },
    answerWith(method, answer): void {
      custom.set(method, answer);
    },
    waitFor(predicate, timeoutMs = DEFAULT_WAIT_MS): Promise<SlackCall> {
      const already = calls.find(predicate);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (c: SlackCall): void => {
            clearTimeout(timer);
            timers.delete(timer);
            resolve(c);
          },
          reject: (e: Error): void => {
            clearTimeout(timer);
            reject(e);
          },
        };
        const timer = setTimeout(() => {
          timers.delete(timer);
          waiters.delete(waiter);
          const seen = calls.map((c) => c.method).join(', ') || 'none';
          reject(new Error(`fake Slack: no matching call within ${timeoutMs} ms (calls so far: ${seen})`));
        }, timeoutMs);
        timers.add(timer);
        waiters.add(waiter);
      });
    },
    async close(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const waiter of waiters) waiter.reject(new Error('fake Slack closed while waiting for a call'));
      waiters.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return fake;
}
