/**
 * The Bolt app, transport only: HTTP (signing secret, PORT, /slack/events) or Socket Mode when
 * SLACK_APP_TOKEN is set. processBeforeResponse stays false: ack() answers Slack at once and the
 * listener keeps running (STACK §1).
 */
import { App, HTTPReceiver, SocketModeReceiver, type AppOptions, type CustomRoute } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import { boltLogger } from './bolt-logger.js';
import { SLACK_BODY_LIMIT_BYTES, guardSlackRequests } from './request-guard.js';
import type { SocketModeClient } from './socket-connection.js';
import { slackClientOptions } from './web-client-options.js';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface BoltAppOptions {
  logger: Logger;
  clientOptions?: Partial<WebClientOptions>;
  /** Skip auth.test (tests); otherwise init() verifies the bot token at start. */
  botId?: string;
  botUserId?: string;
  /** Socket Mode: how long a ping may go unanswered; the client also waits this long (× failed tries) before reconnecting. */
  socketPingTimeoutMs?: number;
  /** More routes on PORT next to /slack/events (POST /alertmanager); Socket Mode serves them on PORT too. */
  routes?: CustomRoute[];
}

export interface BoltApp {
  app: App;
  /** Socket Mode only: the connection, for readiness and the reconnect count. */
  socket?: SocketModeClient;
}

const healthz: CustomRoute = {
  path: '/healthz',
  method: ['GET'],
  handler: (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
  },
};

export function createBoltApp(config: Readonly<Config>, options: BoltAppOptions): BoltApp {
  const logger = boltLogger(options.logger);
  const clientOptions = slackClientOptions(config, options.logger, options.clientOptions);
  const customRoutes = [healthz, ...(options.routes ?? [])];
  const common: AppOptions = {
    token: config.slack.botToken,
    logger,
    clientOptions,
    customRoutes,
    port: config.slack.port,
    processBeforeResponse: false,
    // auth.test would otherwise run inside the constructor, where its failure is an unhandled rejection.
    deferInitialization: true,
    ...(options.botId && options.botUserId ? { botId: options.botId, botUserId: options.botUserId } : {}),
  };
  if (config.slack.appToken) {
    // Built here rather than by `socketMode: true` so the connection's client can be watched. The same
    // clientOptions take apps.connections.open to SLACK_API_URL; port serves the custom routes.
    const receiver = new SocketModeReceiver({
      appToken: config.slack.appToken,
      logger,
      customRoutes,
      installerOptions: { clientOptions, port: config.slack.port },
      ...(options.socketPingTimeoutMs ? { clientPingTimeout: options.socketPingTimeoutMs } : {}),
    });
    return { app: new App({ ...common, receiver }), socket: receiver.client };
  }
  const { customRoutes: _routes, port: _port, ...rest } = common;
  return { app: new App({ ...rest, receiver: guardedReceiver(config.slack.signingSecret ?? '', common, options.logger) }) };
}

/** Bolt's HTTPReceiver with the request guard (body cap, timestamp window, bounded unverified reads) in front. */
function guardedReceiver(signingSecret: string, common: AppOptions, logger: Logger): HTTPReceiver {
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    customRoutes: common.customRoutes ?? [healthz],
    ...(common.port !== undefined ? { port: common.port } : {}),
    ...(common.logger ? { logger: common.logger } : {}),
    processBeforeResponse: false,
    bodyLimit: SLACK_BODY_LIMIT_BYTES,
  });
  receiver.requestListener = guardSlackRequests(receiver.requestListener, { signingSecret, path: SLACK_EVENTS_PATH, logger });
  return receiver;
}
