/**
 * `POST /alertmanager` on the app's PORT (a Bolt custom route, served in HTTP and in Socket Mode alike).
 * Only when JWTCHECK_ALERTMANAGER_TOKEN is set (otherwise the path does not exist: 404). In order, before
 * anything is read or posted: the bearer token (Alertmanager's `http_config.authorization`), compared in
 * constant time → 401; the declared size → 413; then the body, capped like Slack's, within a deadline.
 * Answers: 200 for every notification it understood, including alerts it ignores (no target, refused by
 * the access file: a retry would say the same, and Alertmanager retries only 5xx), 400 for a payload that
 * is not webhook version 4, 503 when Slack or Redis failed midway (Alertmanager sends it again; the
 * dedup state makes that safe).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { BODY_READ_TIMEOUT_MS, SLACK_BODY_LIMIT_BYTES, readBody } from '../request-guard.js';
import { handleAlert, type AlertDeps, type AlertOutcome } from './handle-alert.js';
import { parseWebhook } from './payload.js';

export const ALERTMANAGER_PATH = '/alertmanager';

/** The route exists from the start (Bolt takes routes at construction); its handler is attached once the app is wired. */
export interface AlertmanagerRoute {
  route: CustomRoute;
  attach(deps: AlertDeps): void;
}

export function alertmanagerRoute(token: string): AlertmanagerRoute {
  let deps: AlertDeps | undefined;
  const expected = digest(token);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void serve(req, res).catch((err: unknown) => {
      deps?.slack.logger.error({ err }, 'alertmanager notification failed');
      if (!res.headersSent) answer(res, 503, { error: 'jwtcheck could not handle the notification; it will be retried' });
    });
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!deps) return answer(res, 503, { error: 'starting' });
    const log = deps.slack.logger.child({ component: 'alertmanager' });
    const given = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      log.warn({ remote: req.socket.remoteAddress, present: given !== undefined }, 'alertmanager request refused: wrong or missing bearer token');
      return answer(res, 401, { error: 'wrong or missing bearer token' }, { 'www-authenticate': 'Bearer', connection: 'close' });
    }
    const length = req.headers['content-length'];
    const declared = length !== undefined && /^\d{1,12}$/.test(length) ? Number(length) : undefined;
    if (declared !== undefined && declared > SLACK_BODY_LIMIT_BYTES) return answer(res, 413, { error: `body over ${SLACK_BODY_LIMIT_BYTES} bytes` }, { connection: 'close' });
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, declared, SLACK_BODY_LIMIT_BYTES, BODY_READ_TIMEOUT_MS)).toString('utf8'));
    } catch (err) {
      const status = (err as { status?: number }).status ?? 400;
      return answer(res, status, { error: status === 400 ? 'the body is not JSON' : (err as Error).message }, { connection: 'close' });
    }
    const parsed = parseWebhook(body);
    if (!parsed.ok) {
      log.warn({ problem: parsed.problem }, 'alertmanager payload refused');
      return answer(res, 400, { error: `not an Alertmanager webhook payload: ${parsed.problem}` });
    }
    const outcomes: AlertOutcome[] = [];
    for (const alert of parsed.alerts) outcomes.push(await handleAlert(deps, alert));
    answer(res, 200, { outcomes });
  }

  return {
    route: { path: ALERTMANAGER_PATH, method: ['POST'], handler },
    attach(d) {
      deps = d;
    },
  };
}

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
