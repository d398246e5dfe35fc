/**
 * Hands a validated, authorised request to the dispatcher and turns every way that can fail into a
 * sentence for the user (via `tell`, which each surface implements: respond(), ephemeral, DM thread).
 */
import { isJwtcheckError } from '../errors.js';
import { maskSecrets } from '../lib/logger.js';
import { DEFAULT_CLUSTER } from '../lib/names.js';
import { type DiagnosisJobData } from '../job/job-data.js';
import { targetLabel } from '../render/slack-blocks.js';
import type { SlackDeps } from './deps.js';

export type Tell = (text: string) => Promise<unknown>;

export async function submitDiagnosis(deps: SlackDeps, data: DiagnosisJobData, jobId: string, tell: Tell): Promise<boolean> {
  const log = deps.logger.child({ jobId, target: data.target, user: data.requestedBy.user });
  try {
    if (data.target.cluster !== DEFAULT_CLUSTER && !(await deps.dispatcher.hasWorkerFor(data.target.cluster))) {
      await tell(
        `No jwtcheck worker serves cluster \`${data.target.cluster}\`, so nothing was started. Check the name after --cluster, or ask the team that runs jwtcheck to start a worker for that cluster.`,
      );
      return false;
    }
    const { duplicate } = await deps.dispatcher.submit(data, jobId);
    log.info({ duplicate, mode: deps.dispatcher.mode }, duplicate ? 'duplicate request ignored' : 'diagnosis submitted');
    return true;
  } catch (err) {
    const message = isJwtcheckError(err)
      ? err.message
      : `The diagnosis of ${targetLabel(data.target)} could not be started (${maskSecrets(err instanceof Error ? err.message : String(err))}); try again in a minute.`;
    log.warn({ err }, 'diagnosis not submitted');
    await tell(message).catch((e: unknown) => log.error({ err: e }, 'could not tell the user either'));
    return false;
  }
}

/** Runs a listener body; whatever escapes still reaches the user as a sentence, never as silence. */
export async function reportingErrors(deps: SlackDeps, tell: Tell, what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    deps.logger.error({ err, what }, 'slack handler failed');
    const detail = isJwtcheckError(err) ? err.message : 'jwtcheck hit an unexpected error; try again, and tell the team that runs jwtcheck if it keeps happening.';
    await tell(`Sorry, ${what} failed: ${detail}`).catch(() => undefined);
  }
}
