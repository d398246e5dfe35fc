/**
 * Direct messages to the bot, the only place a token may be typed:
 * - just a token → decoded header and claims (never the token or its signature), times, warnings,
 *   and a "Check against a service" button whose value is an opaque stash id;
 * - `<service> <namespace> <token>` (token anywhere) → the full diagnosis, in this DM's thread;
 * - anything else → a sentence saying what the bot understands.
 * Every reply goes into the thread of the user's message.
 */
import type { App } from '@slack/bolt';
import { sealToken } from '../../../job/seal.js';
import { renderDecodedToken, renderNotice, type SlackMessage } from '../../../render/slack-blocks.js';
import { decodeToken, inspectToken } from '../../../token/index.js';
import type { SlackDeps } from '../../deps.js';
import { DM_HELP, parseDirectMessage } from '../../parse-command.js';
import { isRedelivery } from '../../redelivery.js';
import { logMalformed } from '../../malformed.js';
import { authoriseDiagnosis, submitAuthorised, type DiagnosisRequest } from '../../request-diagnosis.js';
import { reportingErrors } from '../../submit.js';
import { sealForUser } from '../../token-binding.js';

export function register(app: App, deps: SlackDeps): void {
  app.event('message', async ({ event, client, context, body }) => {
    if (event.subtype !== undefined) return;
    if (event.channel_type !== 'im' || event.bot_id) return;
    const { text, user } = event as { text?: unknown; user?: unknown };
    if ((text !== undefined && typeof text !== 'string') || typeof user !== 'string') {
      return logMalformed(deps.logger, 'message.im', typeof user !== 'string' ? 'user is not a string' : 'text is not a string');
    }
    const threadTs = event.thread_ts ?? event.ts;
    const reply = async (message: SlackMessage): Promise<void> => {
      await client.chat.postMessage({ channel: event.channel, thread_ts: threadTs, ...message, unfurl_links: false });
    };
    const tell = (text: string) => reply(renderNotice(text));
    const parsed = parseDirectMessage(event.text ?? '');

    await reportingErrors(deps, tell, 'reading your message', async () => {
      if (parsed.kind === 'help') return tell(DM_HELP);
      if (parsed.kind === 'unrecognised') return tell(parsed.message);
      if (parsed.kind === 'token-only') {
        if (isRedelivery(context)) return; // decoded already
        const evidence = decodeToken(parsed.token);
        if (evidence.problem) {
          return tell(`That is not a usable JWT: ${evidence.problem.message} Send the compact token (three parts separated by dots).`);
        }
        const inspection = inspectToken(evidence, (deps.now ?? (() => new Date()))());
        const ref = await deps.stash.put(sealForUser(parsed.token, event.user, deps.encryptionKey));
        const view = {
          header: inspection.header ?? {},
          claims: inspection.claims ?? {},
          times: inspection.times,
          warnings: inspection.warnings,
          ...(evidence.fingerprint ? { fingerprint: evidence.fingerprint } : {}),
        };
        return reply(renderDecodedToken(view, ref));
      }
      const request: DiagnosisRequest = {
        target: parsed.target,
        team: event.team ?? (body as { team_id?: string }).team_id ?? 'T0',
        user: event.user,
        channel: event.channel,
        threadTs,
        // event.ts is the same on Slack's re-deliveries, so a retried event runs once.
        trigger: event.ts,
        inBotDm: true,
        source: 'dm',
        ...(parsed.token !== undefined ? { sealedToken: sealToken(parsed.token, deps.encryptionKey) } : {}),
      };
      const authorised = await authoriseDiagnosis(deps, client, request);
      if (!authorised.allowed) return tell(authorised.message);
      await submitAuthorised(deps, request, authorised.target, tell);
    });
  });
}
