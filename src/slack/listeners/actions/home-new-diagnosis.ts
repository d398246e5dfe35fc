/** App Home's "New diagnosis" button: opens the service / namespace / cluster form (no token field). */
import type { App, BlockButtonAction } from '@slack/bolt';
import { HOME_NEW_DIAGNOSIS_ACTION_ID, homeDiagnosisModal } from '../../../render/home-view.js';
import type { SlackDeps } from '../../deps.js';
import { targetInputs } from '../../target-form.js';

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(HOME_NEW_DIAGNOSIS_ACTION_ID, async ({ ack, body, client }) => {
    await ack();
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: homeDiagnosisModal(targetInputs()) });
    } catch (err) {
      deps.logger.error({ err }, 'could not open the App Home diagnosis form');
      // Home has no response_url: the sentence goes to the user's DM with the bot.
      await client.chat
        .postMessage({ channel: body.user.id, text: 'I could not open the form (Slack refused it, perhaps it took too long): press "New diagnosis" again, or run `/jwtcheck <service> <namespace>`.' })
        .catch(() => undefined);
    }
  });
}
