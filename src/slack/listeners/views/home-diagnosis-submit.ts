/**
 * App Home's form submitted: validated in the form, authorised as a request from the user's DM with the
 * bot (the access file's "dm"), and answered there with the usual parent and threaded checklist.
 */
import type { App } from '@slack/bolt';
import { HOME_DIAGNOSIS_VIEW_ID } from '../../../render/home-view.js';
import { renderNotice } from '../../../render/slack-blocks.js';
import type { SlackDeps } from '../../deps.js';
import { logMalformed } from '../../malformed.js';
import { authoriseDiagnosis, submitAuthorised, type DiagnosisRequest } from '../../request-diagnosis.js';
import { reportingErrors } from '../../submit.js';
import { readTargetForm } from '../../target-form.js';

export function register(app: App, deps: SlackDeps): void {
  app.view(HOME_DIAGNOSIS_VIEW_ID, async ({ ack, view, body, client }) => {
    const form = readTargetForm((view as { state?: { values?: unknown } }).state?.values);
    if (!form) {
      logMalformed(deps.logger, 'view_submission', 'view.state.values is missing');
      return ack({ response_action: 'errors', errors: { service: 'This form arrived incomplete: close it and press "New diagnosis" again.' } });
    }
    if (!form.ok) return ack({ response_action: 'errors', errors: form.errors });
    let channel: string | undefined;
    try {
      channel = (await client.conversations.open({ users: body.user.id })).channel?.id;
    } catch (err) {
      deps.logger.warn({ err }, 'conversations.open failed for the App Home form');
    }
    if (!channel) return ack({ response_action: 'errors', errors: { service: 'I could not open our direct message to post the results; try again in a minute.' } });
    const request: DiagnosisRequest = {
      target: form.target,
      team: body.team?.id ?? body.user.team_id ?? 'T0',
      user: body.user.id,
      channel,
      trigger: view.id + (view.hash ?? ''),
      inBotDm: true,
      source: 'home',
    };
    const authorised = await authoriseDiagnosis(deps, client, request);
    if (!authorised.allowed) return ack({ response_action: 'errors', errors: { namespace: authorised.message.slice(0, 150) } });
    await ack();
    const dm = channel;
    const tell = (text: string) => client.chat.postMessage({ channel: dm, ...renderNotice(text) });
    await reportingErrors(deps, tell, 'the check from App Home', async () => {
      await submitAuthorised(deps, request, authorised.target, tell);
    });
  });
}
