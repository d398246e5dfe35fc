/**
 * `/jwtcheck <service> <namespace> [--cluster NAME]`. Everything before `ack` is pure and in memory
 * (parse, access), so the ack goes out in milliseconds; the queue is touched only after it. Replies are
 * ephemeral: the command text is never echoed into the channel.
 */
import type { App } from '@slack/bolt';
import { ephemeral, targetLabel } from '../../../render/slack-blocks.js';
import type { SlackDeps } from '../../deps.js';
import { HELP_TEXT, parseCommand } from '../../parse-command.js';
import { authoriseDiagnosis, submitAuthorised, type DiagnosisRequest } from '../../request-diagnosis.js';
import { reportingErrors } from '../../submit.js';

export const COMMAND = '/jwtcheck';

export function register(app: App, deps: SlackDeps): void {
  app.command(COMMAND, async ({ command, ack, respond, client }) => {
    const parsed = parseCommand(command.text ?? '');
    if (parsed.kind === 'help') return ack(ephemeral(HELP_TEXT));
    if (parsed.kind === 'usage' || parsed.kind === 'leaked-token') {
      if (parsed.kind === 'leaked-token') deps.logger.warn({ user: command.user_id, channel: command.channel_id }, 'token pasted into /jwtcheck; refused');
      return ack(ephemeral(parsed.message));
    }
    const request: DiagnosisRequest = {
      target: parsed.target,
      team: command.team_id,
      user: command.user_id,
      channel: command.channel_id,
      trigger: command.trigger_id,
      source: 'slash',
    };
    // The DM lookup (if a rule needs it) is the only await before the ack: the ack must stay fast.
    const authorised = await authoriseDiagnosis(deps, client, request);
    if (!authorised.allowed) return ack(ephemeral(authorised.message));
    const { target } = authorised;
    await ack(ephemeral(`🔎 Checking ${targetLabel(target)}… the results will appear in this conversation.`));

    const tell = (text: string) => respond({ ...ephemeral(text), replace_original: false });
    await reportingErrors(deps, tell, `the check of ${targetLabel(target)}`, async () => {
      await submitAuthorised(deps, request, target, tell);
    });
  });
}
