/**
 * The "Re-run" button on a parent message. Its value is the target only (never a token), so a re-run
 * of a DM diagnosis runs without the token; the button says so. The clicker is authorised like a
 * command from that conversation.
 */
import type { App, BlockButtonAction } from '@slack/bolt';
import { isValidCluster, isValidName } from '../../../lib/names.js';
import type { DiagnosisJobData } from '../../../job/job-data.js';
import { RERUN_ACTION_ID, ephemeral, targetLabel } from '../../../render/slack-blocks.js';
import type { SlackDeps } from '../../deps.js';
import { authoriseDiagnosis, submitAuthorised, type DiagnosisRequest } from '../../request-diagnosis.js';
import { reportingErrors } from '../../submit.js';

export function register(app: App, deps: SlackDeps): void {
  app.action<BlockButtonAction>(RERUN_ACTION_ID, async ({ ack, body, action, respond, client }) => {
    await ack();
    const tell = (text: string) => respond({ ...ephemeral(text), replace_original: false });
    await reportingErrors(deps, tell, 'the re-run', async () => {
      const target = parseTargetValue(action.value);
      const channel = body.channel?.id ?? body.container.channel_id;
      if (!target || !channel) return void (await tell('This Re-run button is broken (it carries no valid target): run `/jwtcheck <service> <namespace>` instead.'));
      // In a DM the parent is itself a thread reply: keep the re-run in that thread.
      const threadTs = (body.message as { thread_ts?: string } | undefined)?.thread_ts;
      const request: DiagnosisRequest = {
        target,
        team: body.team?.id ?? body.user.team_id ?? 'T0',
        user: body.user.id,
        channel,
        ...(threadTs ? { threadTs } : {}),
        trigger: body.trigger_id ?? action.action_ts,
        source: 'rerun',
      };
      const authorised = await authoriseDiagnosis(deps, client, request);
      if (!authorised.allowed) return void (await tell(authorised.message));
      const submitted = await submitAuthorised(deps, request, authorised.target, tell);
      if (submitted) deps.logger.info({ target: targetLabel(target) }, 're-run requested');
    });
  });
}

export function parseTargetValue(value: string | undefined): DiagnosisJobData['target'] | undefined {
  if (!value) return undefined;
  try {
    const v = JSON.parse(value) as Record<string, unknown>;
    const { service, namespace, cluster } = v;
    if (typeof service !== 'string' || !isValidName(service)) return undefined;
    if (typeof namespace !== 'string' || !isValidName(namespace)) return undefined;
    if (typeof cluster !== 'string' || !isValidCluster(cluster)) return undefined;
    return { service, namespace, cluster };
  } catch {
    return undefined;
  }
}
