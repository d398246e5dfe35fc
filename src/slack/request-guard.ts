/**
 * In front of Bolt's HTTPReceiver on /slack/events: refuses what cannot be Slack before Bolt buffers it.
 * Bolt 5.1 reads up to 4 MB of every body into memory, and only then checks the signature (and only that the
 * timestamp is not too old). Here, in order and without reading the body first:
 * - the timestamp must lie within ±5 minutes of now (both directions; Slack's own rule is "not older");
 * - a declared body over SLACK_BODY_LIMIT_BYTES gets 413 unread;
 * - at most a few unverified bodies are read at once (big ones in their own lane, so a flood of large bodies
 *   cannot delay a real slash command of a few hundred bytes), each within a deadline;
 * - the signature is checked over the raw bytes; only a verified body reaches Bolt (as `rawBody`, so Bolt
 *   does not read the stream again).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';

/**
 * Slack publishes no maximum request size, so the cap follows from what it can send us. The largest is a
 * message event: Slack truncates message text at 40,000 characters (api.slack.com/changelog/
 * 2018-04-truncating-really-long-messages) and the event carries it twice (`text` and the rich_text
 * `blocks`). Slack's JSON escapes non-ASCII as \uXXXX, so a character costs at most 12 bytes (a surrogate
 * pair): 2 × 40,000 × 12 = 960,000 bytes plus the envelope. Interactions (≤ 50 blocks of ≤ 3,000
 * characters, percent-encoded) and slash commands are far smaller. 1 MiB is a quarter of Bolt's default.
 */
export const SLACK_BODY_LIMIT_BYTES = 1024 * 1024;
/** Slack's replay window (docs.slack.dev/authentication/verifying-requests-from-slack), applied both ways. */
export const SLACK_TIMESTAMP_WINDOW_SECONDS = 5 * 60;
/** Bodies up to this size (every slash command, most events) read in the small lane. */
export const SMALL_BODY_BYTES = 64 * 1024;
/** Unverified bodies read at once: ≤ 2 MiB in the large lane, ≤ 2 MiB in the small one. */
export const MAX_LARGE_BODIES_IN_FLIGHT = 2;
export const MAX_SMALL_BODIES_IN_FLIGHT = 32;
/** Requests waiting for a lane; beyond this the app answers 503 rather than hold more sockets. */
export const MAX_WAITING_REQUESTS = 256;
/** A body still arriving after this is a slow sender holding a slot: 408. */
export const BODY_READ_TIMEOUT_MS = 10_000;
/** Unsigned form posts this small go to Bolt, which answers Slack's `ssl_check=1` and refuses the rest. */
const UNSIGNED_SSL_CHECK_BYTES = 1024;

export interface RequestGuardOptions {
  signingSecret: string;
  /** The Slack endpoint path; other paths (custom routes) pass through. */
  path: string;
  logger: Logger;
  nowMs?: () => number;
}

/** A counting semaphore with a FIFO wait list. */
class Lane {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else this.active -= 1;
  }
}

type Verdict = { ok: true } | { ok: false; status: number; reason: string };

export function guardSlackRequests(listener: RequestListener, options: RequestGuardOptions): RequestListener {
  const log = options.logger.child({ component: 'slack-request-guard' });
  const nowMs = options.nowMs ?? Date.now;
  const small = new Lane(MAX_SMALL_BODIES_IN_FLIGHT);
  const large = new Lane(MAX_LARGE_BODIES_IN_FLIGHT);

  const refuse = (req: IncomingMessage, res: ServerResponse, status: number, reason: string): void => {
    log.warn({ status, reason, remote: req.socket.remoteAddress }, 'slack request refused');
    // The body may be unread: close the connection rather than drain it.
    res.writeHead(status, { connection: 'close', ...(status === 503 ? { 'retry-after': '1' } : {}) });
    res.end();
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== options.path) return void listener(req, res);

    const header = checkHeaders(req, nowMs());
    if (header === 'unsigned-small') return void listener(req, res);
    if (!header.ok) return refuse(req, res, header.status, header.reason);

    const length = req.headers['content-length'];
    const declared = length !== undefined && /^\d{1,12}$/.test(length) ? Number(length) : undefined;
    if (declared !== undefined && declared > SLACK_BODY_LIMIT_BYTES) return refuse(req, res, 413, `declared body of ${declared} bytes over ${SLACK_BODY_LIMIT_BYTES}`);
    const lane = declared !== undefined && declared <= SMALL_BODY_BYTES ? small : large;
    if (small.queued + large.queued >= MAX_WAITING_REQUESTS) return refuse(req, res, 503, 'too many unverified requests waiting');

    void (async () => {
      await lane.acquire();
      let body: Buffer;
      try {
        body = await readBody(req, declared, SLACK_BODY_LIMIT_BYTES, BODY_READ_TIMEOUT_MS);
      } catch (err) {
        const e = err as { status?: number; message?: string };
        return refuse(req, res, e.status ?? 400, e.message ?? 'body could not be read');
      } finally {
        lane.release();
      }
      if (!signatureMatches(options.signingSecret, header.timestamp, header.signature, body)) {
        return refuse(req, res, 401, 'signature mismatch');
      }
      // Bolt reuses a buffered body instead of reading the (consumed) stream again.
      (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
      listener(req, res);
    })().catch((err: unknown) => {
      log.error({ err }, 'slack request guard failed');
      if (!res.headersSent) refuse(req, res, 500, 'guard error');
    });
  };

  function checkHeaders(req: IncomingMessage, now: number): { ok: true; timestamp: string; signature: string } | Exclude<Verdict, { ok: true }> | 'unsigned-small' {
    const timestamp = req.headers['x-slack-request-timestamp'];
    const signature = req.headers['x-slack-signature'];
    if (timestamp === undefined && signature === undefined) {
      const length = Number(req.headers['content-length'] ?? NaN);
      return length <= UNSIGNED_SSL_CHECK_BYTES ? 'unsigned-small' : { ok: false, status: 401, reason: 'unsigned request' };
    }
    if (typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return { ok: false, status: 401, reason: 'missing or malformed timestamp' };
    if (typeof signature !== 'string' || !/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, status: 401, reason: 'missing or malformed signature' };
    const skew = Math.abs(now / 1000 - Number(timestamp));
    if (skew > SLACK_TIMESTAMP_WINDOW_SECONDS) return { ok: false, status: 401, reason: `timestamp ${Math.round(skew)} s away from now` };
    return { ok: true, timestamp, signature };
  }
}

function signatureMatches(secret: string, timestamp: string, signature: string, body: Buffer): boolean {
  const expected = createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest();
  const given = Buffer.from(signature.slice('v0='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Reads at most `limit` bytes within `timeoutMs` into one buffer of the declared size (no chunk list and no
 * copy when it ends); rejects with a status (413, 408, 400) otherwise.
 */
export function readBody(req: IncomingMessage, declared: number | undefined, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let body = Buffer.allocUnsafe(declared ?? Math.min(limit, SMALL_BODY_BYTES));
    let size = 0;
    const fail = (status: number, message: string): void => {
      cleanup();
      reject(Object.assign(new Error(message), { status }));
    };
    const timer = setTimeout(() => fail(408, `body not received within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer): void => {
      if (size + chunk.length > limit) return fail(413, `body over ${limit} bytes`);
      if (size + chunk.length > body.length) {
        if (declared !== undefined) return fail(400, 'body longer than its Content-Length');
        const grown = Buffer.allocUnsafe(Math.min(limit, Math.max(body.length * 2, size + chunk.length)));
        body.copy(grown, 0, 0, size);
        body = grown;
      }
      chunk.copy(body, size);
      size += chunk.length;
    };
    const onEnd = (): void => {
      cleanup();
      resolve(body.subarray(0, size));
    };
    const onError = (err: Error): void => fail(400, `body read failed (${err.message})`);
    const onAborted = (): void => fail(400, 'client went away');
    function cleanup(): void {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
      req.pause();
    }
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
