/**
 * "dm" in the access file means a direct message with the bot. A slash command from a DM between two people
 * also arrives with a `D…` channel id, so the id's shape proves nothing: the bot's own IM with a user is the
 * channel `conversations.open` returns for that user (scope im:write). Remembered per user: it never changes.
 */
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../lib/logger.js';

export type BotDmCheck = (client: WebClient, user: string, channel: string) => Promise<boolean>;

export function createBotDmCheck(logger: Logger): BotDmCheck {
  const imByUser = new Map<string, string>();
  return async (client, user, channel) => {
    if (!channel.startsWith('D')) return false;
    let im = imByUser.get(user);
    if (im === undefined) {
      try {
        im = (await client.conversations.open({ users: user, return_im: true })).channel?.id;
      } catch (err) {
        // Unknown means "not the bot's DM": the dm rule then simply does not match.
        logger.warn({ err, user }, 'could not look up the bot\'s DM with this user; not treating the request as a DM');
        return false;
      }
      if (im === undefined) return false;
      imByUser.set(user, im);
    }
    return im === channel;
  };
}
