/**
 * Socket Mode's one connection is the app's only way to hear Slack: while it is down, commands and DMs
 * are not delivered (Slack retries events for a while; slash commands fail for the user). So readiness
 * follows it, and reconnects are counted. @slack/socket-mode 3.1 reconnects by itself; its client says
 * `connected` on Slack's `hello`, and `close` when the socket is gone (drop, `disconnect` envelope,
 * refused upgrade) — see SocketModeClient.js / SlackWebSocket.js.
 */
import type { SocketModeReceiver } from '@slack/bolt';
import type { ReadinessProbe } from '../health/health-server.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../metrics.js';

export type SocketModeClient = SocketModeReceiver['client'];

export interface SocketConnection {
  /** Fails (with a sentence) while the socket is down. */
  probe: ReadinessProbe;
  /**
   * Resolves once the client has closed after app.stop() (or after timeoutMs). Call it before stopping:
   * Bolt's stop() returns before the close handshake ends, and a stop that does not wait leaves the
   * client's 30 s handshake timer holding the process open.
   */
  closed(timeoutMs: number): Promise<void>;
}

export function watchSocketConnection(client: SocketModeClient, deps: { logger: Logger; metrics: Metrics; now?: () => number }): SocketConnection {
  const now = deps.now ?? Date.now;
  let up = false;
  let everUp = false;
  let downSince: number | undefined = now();
  let stopping = false;

  client.on('connected', () => {
    if (everUp) {
      deps.metrics.slackSocketReconnects.inc();
      deps.logger.info({ downMs: downSince === undefined ? 0 : now() - downSince }, 'Socket Mode connection is back');
    }
    up = true;
    everUp = true;
    downSince = undefined;
  });
  const lost = (): void => {
    if (!up) return;
    up = false;
    downSince = now();
    if (!stopping) deps.logger.warn('Socket Mode connection lost; reconnecting');
  };
  client.on('close', lost);
  client.on('disconnected', lost);
  client.on('disconnecting', () => {
    stopping = true; // app.stop(): losing the socket is expected
  });

  return {
    probe: async () => {
      if (up) return;
      const seconds = downSince === undefined ? 0 : Math.round((now() - downSince) / 1000);
      throw new Error(
        `the Slack Socket Mode connection is down (for ${seconds} s, reconnecting): check that this host can reach slack.com and wss-primary.slack.com, and that SLACK_APP_TOKEN is valid`,
      );
    },
    closed: (timeoutMs) =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          client.off('disconnected', done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        client.once('disconnected', done);
      }),
  };
}
