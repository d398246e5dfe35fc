/**
 * "Check against a service" under a decoded token. Choice: a modal asking for service, namespace and
 * optional cluster (one form, validated before it closes) rather than a question in the DM thread,
 * which would need state per thread. The button value is the stash id of the sealed token; the modal's
 * private_metadata carries that id and where to reply, never the token.
 */
import type { App, BlockButtonAction } from '@slack/bolt';
import type { View } from '@slack/types';
import { CHECK_TOKEN_ACTION_ID, ephemeral } from '../../../render/slack-blocks.js';
import type { SlackDeps } from '../../deps.js';
import { targetInputs } from '../../target-form.js';

export const CHECK_TOKEN_VIEW_ID = 'jwtcheck_check_token_modal';

export interface CheckTokenMetadata {
  ref: string;
  channel: string;
  threadTs?: string;
}

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(CHECK_TOKEN_ACTION_ID, async ({ ack, body, action, client, respond }) => {
    await ack();
    const channel = body.channel?.id ?? body.container.channel_id;
    const message = body.message as { ts?: string; thread_ts?: string } | undefined;
    const metadata: CheckTokenMetadata = {
      ref: action.value ?? '',
      channel: channel ?? '',
      ...(message?.thread_ts ?? message?.ts ? { threadTs: message?.thread_ts ?? message?.ts } : {}),
    };
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: checkTokenView(metadata) });
    } catch (err) {
      deps.logger.error({ err }, 'could not open the check-token modal');
      await respond({
        ...ephemeral('I could not open the form (Slack refused it, perhaps it took too long): send `<service> <namespace> <token>` here instead.'),
        replace_original: false,
      }).catch(() => undefined);
    }
  });
}

export function checkTokenView(metadata: CheckTokenMetadata): View {
  return {
    type: 'modal',
    callback_id: CHECK_TOKEN_VIEW_ID,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Check the token' },
    submit: { type: 'plain_text', text: 'Check' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: targetInputs(),
  };
}
