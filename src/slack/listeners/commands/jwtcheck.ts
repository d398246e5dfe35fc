/**
 * `/jwtcheck <service> <namespace> [--cluster NAME]`. Everything before `ack` is pure and in memory
 * (parse, access), so the ack goes out in milliseconds; the queue is touched only after it. Replies are
 * ephemeral: the command text is never echoed into the channel.
 */
import type { App } from '@slack/bolt';
import { DEFAULT_CLUSTER } from '../../../lib/names.js';
import { jobIdFor, type DiagnosisJobData } from '../../../job/job-data.js';
import { ephemeral, targetLabel } from '../../../render/slack-blocks.js';
import { checkAccess, needsDmLookup } from '../../access.js';
import type { SlackDeps } from '../../deps.js';
import { HELP_TEXT, parseCommand } from '../../parse-command.js';
import { reportingErrors, submitDiagnosis } from '../../submit.js';

export const COMMAND = '/jwtcheck';

export function register(app: App, deps: SlackDeps): void {
  app.command(COMMAND, async ({ command, ack, respond, client }) => {
    const parsed = parseCommand(command.text ?? '');
    if (parsed.kind === 'help') return ack(ephemeral(HELP_TEXT));
    if (parsed.kind === 'usage' || parsed.kind === 'leaked-token') {
      if (parsed.kind === 'leaked-token') deps.logger.warn({ user: command.user_id, channel: command.channel_id }, 'token pasted into /jwtcheck; refused');
      return ack(ephemeral(parsed.message));
    }
    const target = { ...parsed.target, cluster: parsed.target.cluster ?? DEFAULT_CLUSTER };
    const decision = checkAccess(deps.access, {
      user: command.user_id,
      channel: command.channel_id,
      // Looked up only when a rule could use it: the ack must stay fast.
      isDm: needsDmLookup(deps.access) && (await deps.isBotDm(client, command.user_id, command.channel_id)),
      namespace: target.namespace,
      cluster: target.cluster,
    });
    if (!decision.allowed) return ack(ephemeral(decision.message));
    await ack(ephemeral(`🔎 Checking ${targetLabel(target)}… the results will appear in this conversation.`));

    const tell = (text: string) => respond({ ...ephemeral(text), replace_original: false });
    await reportingErrors(deps, tell, `the check of ${targetLabel(target)}`, async () => {
      const data: DiagnosisJobData = {
        target,
        requestedBy: { team: command.team_id, user: command.user_id, channel: command.channel_id },
        replyTo: { channel: command.channel_id },
      };
      const jobId = jobIdFor({ team: command.team_id, channel: command.channel_id, user: command.user_id, trigger: command.trigger_id });
      await submitDiagnosis(deps, data, jobId, tell);
    });
  });
}
