import type { Logger } from '../lib/logger.js';

/**
 * A payload that is signed but not shaped as Slack documents it (a non-string `text`, a view without
 * `state`): one log line naming the surface and the problem, never the content, and the listener returns
 * normally instead of throwing into Bolt.
 */
export function logMalformed(logger: Logger, surface: string, problem: string): void {
  logger.warn({ surface, problem }, 'malformed Slack payload ignored');
}
