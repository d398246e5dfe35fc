/**
 * The modal opened by "Check against a service": validates the form (errors shown in the form), finds
 * the sealed token by its stash id, and runs the diagnosis in the DM thread of the decoded token.
 */
import type { App } from '@slack/bolt';
import { renderNotice } from '../../../render/slack-blocks.js';
import type { SlackDeps } from '../../deps.js';
import { DEFAULT_CLUSTER, isValidCluster, isValidName } from '../../../lib/names.js';
import { logMalformed } from '../../malformed.js';
import { sealToken } from '../../../job/seal.js';
import { authoriseDiagnosis, submitAuthorised, type DiagnosisRequest } from '../../request-diagnosis.js';
import { reportingErrors } from '../../submit.js';
import { openForUser } from '../../token-binding.js';
import { CHECK_TOKEN_VIEW_ID, type CheckTokenMetadata } from '../actions/check-token.js';

export function register(app: App, deps: SlackDeps): void {
  app.view(CHECK_TOKEN_VIEW_ID, async ({ ack, view, body, client }) => {
    const values: unknown = (view as { state?: { values?: unknown } }).state?.values;
    if (typeof values !== 'object' || values === null) {
      logMalformed(deps.logger, 'view_submission', 'view.state.values is missing');
      return ack({ response_action: 'errors', errors: { service: 'This form arrived incomplete: close it and press "Check against a service" again.' } });
    }
    const value = (block: string): string => {
      const v: unknown = (values as Record<string, Record<string, { value?: unknown } | undefined> | undefined>)[block]?.['value']?.value;
      return typeof v === 'string' ? v.trim() : '';
    };
    const service = value('service');
    const namespace = value('namespace');
    const cluster = value('cluster') || DEFAULT_CLUSTER;
    const errors: Record<string, string> = {};
    if (!isValidName(service)) errors['service'] = 'A Service name: lower-case letters, digits and "-", at most 63.';
    if (!isValidName(namespace)) errors['namespace'] = 'A namespace name: lower-case letters, digits and "-", at most 63.';
    if (!isValidCluster(cluster)) errors['cluster'] = 'Letters, digits, ".", "_" and "-", at most 63.';
    let metadata: CheckTokenMetadata | undefined;
    try {
      metadata = JSON.parse(view.private_metadata) as CheckTokenMetadata;
    } catch {
      metadata = undefined;
    }
    if (!metadata?.ref || !metadata.channel) errors['service'] = 'This form lost track of the token: send the token to me again.';
    if (Object.keys(errors).length > 0 || !metadata) return ack({ response_action: 'errors', errors });

    const request: DiagnosisRequest = {
      target: { service, namespace, cluster },
      team: body.team?.id ?? body.user.team_id ?? 'T0',
      user: body.user.id,
      channel: metadata.channel,
      ...(metadata.threadTs ? { threadTs: metadata.threadTs } : {}),
      trigger: view.id + (view.hash ?? ''),
      inBotDm: true,
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
