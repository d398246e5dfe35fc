/**
 * A Slack Socket Mode stand-in on 127.0.0.1, next to the Web API stand-in (slack-api.ts) whose
 * `apps.connections.open` it answers. The protocol, as Slack documents it (api.slack.com/apis/
 * connections/socket-implement) and @slack/socket-mode 3.1 reads it (SocketModeClient.js):
 * - `apps.connections.open` with the app-level token (xapp-…, scope connections:write) answers a
 *   single-use WebSocket URL; a bot token gets `not_allowed_token_type`, a wrong one `invalid_auth`;
 * - on connect Slack sends `{"type":"hello"}`; the client is "connected" only then;
 * - envelopes `{envelope_id, type: slash_commands | events_api | interactive, payload,
 *   accepts_response_payload, retry_attempt?, retry_reason?}`; the app acks each with
 *   `{envelope_id, payload?}` (the response payload, where Slack accepts one);
 * - `{"type":"disconnect","reason":"warning"|"refresh_requested"|"link_disabled"}` asks the client to
 *   open a new connection.
 * Every frame both ways is recorded, so tests can look for a token in them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { FakeSlack, SlackCall } from './slack-api.js';
import { SLACK_TEST_IDS, eventCallback, slashCommandFields, type SlashField } from './slack-request.js';

export type EnvelopeType = 'slash_commands' | 'events_api' | 'interactive';

export interface SocketFrame {
  direction: 'to-app' | 'from-app';
  /** 1 for the first accepted WebSocket, 2 after the first reconnect, … */
  connection: number;
  text: string;
  at: number;
}

export interface SocketAck {
  envelopeId: string;
  type: EnvelopeType;
  /** The ack's `payload` (Bolt always sends one, `{}` when the listener acked without a body). */
  payload: unknown;
  connection: number;
  /** From sending the envelope to receiving its ack. */
  latencyMs: number;
}

export interface Delivery {
  envelopeId: string;
  /** Resolves with the ack; rejects when none comes within the wait (Slack would retry or show an error). */
  ack: Promise<SocketAck>;
}

export type DisconnectReason = 'warning' | 'refresh_requested' | 'link_disabled';

export interface FakeSocketMode {
  appToken: string;
  frames: SocketFrame[];
  acks: SocketAck[];
  /** WebSockets accepted (hello sent). */
  connections(): number;
  /** WebSocket upgrades answered 503 by refuseNextConnection(). */
  refused(): number;
  isOpen(): boolean;
  waitForConnections(n: number, timeoutMs?: number): Promise<void>;
  /** Sends an envelope on the open socket (waiting for one, as Slack holds events while no socket is up). */
  deliver(type: EnvelopeType, payload: Record<string, unknown>, options?: { acceptsResponsePayload?: boolean; retryAttempt?: number; ackWaitMs?: number }): Promise<Delivery>;
  slashCommand(fields: Partial<Record<SlashField, string>>): Promise<Delivery>;
  /** events_api; Slack marks the first delivery `retry_attempt: 0`. */
  event(event: Record<string, unknown>, options?: { retryAttempt?: number; eventId?: string }): Promise<Delivery>;
  interactive(payload: Record<string, unknown>): Promise<Delivery>;
  /** Cuts the TCP connection with no close frame (a network drop). */
  drop(): void;
  disconnect(reason: DisconnectReason): void;
  /** The next `times` WebSocket upgrades are answered 503. */
  refuseNextConnection(times?: number): void;
  close(): Promise<void>;
}

export const FAKE_APP_TOKEN = 'xapp-1-A0JWTCHECK-1700000000000-0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const DEFAULT_WAIT_MS = 5000;
const POLL_MS = 10;

async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`Socket Mode stand-in: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function startSocketModeServer(slack: FakeSlack, options: { appToken?: string } = {}): Promise<FakeSocketMode> {
  const appToken = options.appToken ?? FAKE_APP_TOKEN;
  const frames: SocketFrame[] = [];
  const acks: SocketAck[] = [];
  const tickets = new Set<string>();
  const pending = new Map<string, { type: EnvelopeType; sentAt: number }>();
  let current: { ws: WebSocket; connection: number } | undefined;
  let accepted = 0;
  let refusals = 0;
  let refuseLeft = 0;

  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain' });
    res.end('upgrade required');
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    // A ticket is good for one connection, as Slack's URLs are.
    if (url.pathname !== '/link/' || !tickets.delete(ticket)) return refuse('401 Unauthorized');
    if (refuseLeft > 0) {
      refuseLeft -= 1;
      refusals += 1;
      return refuse('503 Service Unavailable');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      accepted += 1;
      const connection = accepted;
      current = { ws, connection };
      ws.on('message', (data) => {
        const text = data.toString('utf8');
        frames.push({ direction: 'from-app', connection, text, at: Date.now() });
        let message: { envelope_id?: unknown; payload?: unknown };
        try {
          message = JSON.parse(text) as typeof message;
        } catch {
          return;
        }
        const id = typeof message.envelope_id === 'string' ? message.envelope_id : undefined;
        const sent = id === undefined ? undefined : pending.get(id);
        if (id === undefined || sent === undefined) return;
        pending.delete(id);
        acks.push({ envelopeId: id, type: sent.type, payload: message.payload, connection, latencyMs: performance.now() - sent.sentAt });
      });
      ws.on('error', () => undefined); // a dropped peer; the close that follows is what matters
      ws.on('close', () => {
        if (current?.ws === ws) current = undefined;
      });
      send(ws, connection, {
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'applink-stand-in', build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: SLACK_TEST_IDS.apiAppId },
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  slack.answerWith('apps.connections.open', (call: SlackCall) => {
    if (call.token === undefined) return { ok: false, error: 'not_authed' };
    if (!call.token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (call.token !== appToken) return { ok: false, error: 'invalid_auth' };
    const ticket = randomBytes(16).toString('hex');
    tickets.add(ticket);
    return { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${SLACK_TEST_IDS.apiAppId}` };
  });

  function send(ws: WebSocket, connection: number, message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    frames.push({ direction: 'to-app', connection, text, at: Date.now() });
    ws.send(text);
  }

  const isOpen = (): boolean => current !== undefined && current.ws.readyState === WebSocket.OPEN;

  async function deliver(
    type: EnvelopeType,
    payload: Record<string, unknown>,
    opts: { acceptsResponsePayload?: boolean; retryAttempt?: number; ackWaitMs?: number } = {},
  ): Promise<Delivery> {
    await until(isOpen, DEFAULT_WAIT_MS, 'an open socket to deliver on');
    const { ws, connection } = current!;
    const envelopeId = randomUUID();
    const envelope: Record<string, unknown> = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: opts.acceptsResponsePayload ?? type !== 'events_api',
      ...(type === 'events_api' ? { retry_attempt: opts.retryAttempt ?? 0, retry_reason: opts.retryAttempt ? 'timeout' : '' } : {}),
    };
    pending.set(envelopeId, { type, sentAt: performance.now() });
    send(ws, connection, envelope);
    const ack = until(() => acks.some((a) => a.envelopeId === envelopeId), opts.ackWaitMs ?? DEFAULT_WAIT_MS, `the ack of ${type} ${envelopeId}`).then(
      () => acks.find((a) => a.envelopeId === envelopeId)!,
    );
    ack.catch(() => undefined); // callers that do not await the ack must not get an unhandled rejection
    return { envelopeId, ack };
  }

  return {
    appToken,
    frames,
    acks,
    connections: () => accepted,
    refused: () => refusals,
    isOpen,
    waitForConnections: (n, timeoutMs = DEFAULT_WAIT_MS) => until(() => accepted >= n && isOpen(), timeoutMs, `connection #${n}`),
    deliver,
    slashCommand: (fields) => deliver('slash_commands', slashCommandFields(fields)),
    event: (event, opts = {}) => deliver('events_api', eventCallback(event, opts.eventId ? { eventId: opts.eventId } : {}), opts),
    interactive: (payload) => deliver('interactive', payload, { acceptsResponsePayload: payload['type'] === 'view_submission' }),
    drop(): void {
      current?.ws.terminate();
    },
    disconnect(reason): void {
      if (current) send(current.ws, current.connection, { type: 'disconnect', reason, debug_info: { host: 'applink-stand-in' } });
    },
    refuseNextConnection(times = 1): void {
      refuseLeft += times;
    },
    async close(): Promise<void> {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
