/**
 * A token pasted in a channel the app can read (message.channels / message.groups): it is never echoed
 * or used; the sender alone gets an ephemeral warning to rotate it. Nothing is deleted: a bot cannot
 * delete other people's messages, and pretending otherwise would give false comfort.
 */
import type { App } from '@slack/bolt';
import type { SlackDeps } from '../../deps.js';
import { logMalformed } from '../../malformed.js';
import { containsToken } from '../../parse-command.js';
import { isRedelivery } from '../../redelivery.js';

export const LEAK_WARNING =
  '⚠️ Your last message in this channel looks like it contains a JWT. Everyone here can read it, so treat the token as leaked: delete the message and rotate the token (revoke it at the issuer). To check a token, send it to me in a direct message instead.';

export function register(app: App, deps: SlackDeps): void {
  app.event('message', async ({ event, client, context }) => {
    if (event.subtype !== undefined) return; // edits, joins, bot messages
    if (event.channel_type === 'im') return; // DMs: see message-im.ts
    if (isRedelivery(context)) return; // the warning went out already
    const text: unknown = event.text;
    if (text !== undefined && typeof text !== 'string') return logMalformed(deps.logger, 'message.channels', 'text is not a string');
    if (!text || !containsToken(text)) return;
    deps.logger.warn({ user: event.user, channel: event.channel }, 'token pasted in a channel; warned the sender');
    try {
      await client.chat.postEphemeral({ channel: event.channel, user: event.user, text: LEAK_WARNING });
    } catch (err) {
      deps.logger.error({ err }, 'could not warn the sender about a leaked token');
    }
  });
}
