import type { WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import { boltLogger } from './bolt-logger.js';

/**
 * Slack calls are retried (429 honours Retry-After; 5xx and network errors back off): five tries over
 * about a minute, so a rate limit delays a checklist instead of losing it, and a job attempt is not
 * held for half an hour (the WebClient default).
 */
export const SLACK_RETRY_CONFIG: NonNullable<WebClientOptions['retryConfig']> = {
  retries: 5,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 20_000,
  randomize: true,
};
/** A hung Slack API call must not hold a job forever. */
export const SLACK_CALL_TIMEOUT_MS = 30_000;

/** Shared by the app (Bolt) and the worker (plain WebClient, no Bolt loaded). */
export function slackClientOptions(config: Readonly<Config>, logger: Logger, overrides: Partial<WebClientOptions> = {}): WebClientOptions {
  return {
    logger: boltLogger(logger),
    retryConfig: SLACK_RETRY_CONFIG,
    timeout: SLACK_CALL_TIMEOUT_MS,
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    ...overrides,
  };
}

