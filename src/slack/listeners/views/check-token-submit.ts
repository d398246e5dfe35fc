/**
 * The modal opened by "Check against a service": validates the form (errors shown in the form), finds
 * the sealed token by its stash id, and runs the diagnosis in the DM thread of the decoded token.
 */
import type { App } from '@slack/bolt';
import { renderNotice } from '../../../render/slack-blocks.js';
import type { SlackDeps } from '../../deps.js';
import { logMalformed } from '../../malformed.js';
import { sealToken } from '../../../job/seal.js';
import { authoriseDiagnosis, submitAuthorised, type DiagnosisRequest } from '../../request-diagnosis.js';
import { reportingErrors } from '../../submit.js';
import { readTargetForm } from '../../target-form.js';
import { openForUser } from '../../token-binding.js';
import { CHECK_TOKEN_VIEW_ID, type CheckTokenMetadata } from '../actions/check-token.js';

export function register(app: App, deps: SlackDeps): void {
  app.view(CHECK_TOKEN_VIEW_ID, async ({ ack, view, body, client }) => {
    const form = readTargetForm((view as { state?: { values?: unknown } }).state?.values);
    if (!form) {
      logMalformed(deps.logger, 'view_submission', 'view.state.values is missing');
      return ack({ response_action: 'errors', errors: { service: 'This form arrived incomplete: close it and press "Check against a service" again.' } });
    }
    const errors: Record<string, string> = form.ok ? {} : { ...form.errors };
    let metadata: CheckTokenMetadata | undefined;
    try {
      metadata = JSON.parse(view.private_metadata) as CheckTokenMetadata;
    } catch {
      metadata = undefined;
    }
    if (!metadata?.ref || !metadata.channel) errors['service'] = 'This form lost track of the token: send the token to me again.';
    if (!form.ok || Object.keys(errors).length > 0 || !metadata) return ack({ response_action: 'errors', errors });

    const request: DiagnosisRequest = {
      target: form.target,
      team: body.team?.id ?? body.user.team_id ?? 'T0',
      user: body.user.id,
      channel: metadata.channel,
      ...(metadata.threadTs ? { threadTs: metadata.threadTs } : {}),
      trigger: view.id + (view.hash ?? ''),
      inBotDm: true,
      source: 'form',
    };
    const authorised = await authoriseDiagnosis(deps, client, request);
    if (!authorised.allowed) return ack({ response_action: 'errors', errors: { namespace: authorised.message.slice(0, 150) } });
    let sealed: string | undefined;
    try {
      sealed = await deps.stash.get(metadata.ref);
    } catch (err) {
      return ack({ response_action: 'errors', errors: { service: (err instanceof Error ? err.message : 'The token store is unavailable; try again in a minute.').slice(0, 150) } });
    }
    if (!sealed) return ack({ response_action: 'errors', errors: { service: 'The token is no longer held (15 minutes passed): send it to me again.' } });
    const token = openForUser(sealed, body.user.id, deps.encryptionKey);
    if (token === undefined) {
      deps.logger.warn({ user: body.user.id, channel: metadata.channel }, 'check-token form submitted by someone other than the token\'s owner; refused');
      return ack({ response_action: 'errors', errors: { service: 'This token was sent by someone else: send your own token to me in a direct message.' } });
    }
    const sealedToken = sealToken(token, deps.encryptionKey);
    await ack();

    const where = metadata;
    const tell = (text: string) =>
      client.chat.postMessage({ channel: where.channel, ...(where.threadTs ? { thread_ts: where.threadTs } : {}), ...renderNotice(text) });
    await reportingErrors(deps, tell, 'the token check', async () => {
      await submitAuthorised(deps, { ...request, sealedToken }, authorised.target, tell);
    });
  });
}
