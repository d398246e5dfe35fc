/**
 * The steps every Slack surface takes to ask for a diagnosis (slash command, Re-run button, DM, the
 * "Check against a service" form): default the cluster, check the access file, build the job data, submit it.
 * Surfaces differ only in how they answer (ack, respond, a DM thread, form errors) and in when they ack, so
 * authorising and submitting are two calls.
 */
import type { WebClient } from '@slack/web-api';
import { jobIdFor, type AlertRef, type DiagnosisJobData, type DiagnosisSource } from '../job/job-data.js';
import { DEFAULT_CLUSTER } from '../lib/names.js';
import { checkAccess, needsDmLookup, type AccessDecision } from './access.js';
import type { SlackDeps } from './deps.js';
import { submitDiagnosis, type Tell } from './submit.js';

export interface DiagnosisRequest {
  target: { service: string; namespace: string; cluster?: string };
  team: string;
  user: string;
  /** Where the request was made and where the answer goes. */
  channel: string;
  threadTs?: string;
  /** What Slack delivered (trigger_id, event ts, view id): the same on a re-delivery, so it runs once. */
  trigger: string;
  /** Set by surfaces that already know the channel is the bot's DM with this user (message.im, the form). */
  inBotDm?: boolean;
  sealedToken?: string;
  /** The surface that asked, for the audit line and the diagnoses counter. */
  source: DiagnosisSource;
  alert?: AlertRef;
}

export type Authorised = { allowed: true; target: DiagnosisJobData['target'] } | Extract<AccessDecision, { allowed: false }>;

/** The access file's verdict; the "is this the bot's DM" lookup is made only when a rule names `dm`. */
export async function authoriseDiagnosis(deps: SlackDeps, client: WebClient, request: DiagnosisRequest): Promise<Authorised> {
  const target = { ...request.target, cluster: request.target.cluster ?? DEFAULT_CLUSTER };
  const isDm = request.inBotDm ?? (needsDmLookup(deps.access) && (await deps.isBotDm(client, request.user, request.channel)));
  const decision = checkAccess(deps.access, { user: request.user, channel: request.channel, isDm, namespace: target.namespace, cluster: target.cluster });
  if (!decision.allowed) {
    // A refused request never becomes a job, so its audit line is written here.
    deps.logger.info({ audit: true, who: request.user, team: request.team, where: request.channel, what: target, source: request.source, verdict: 'denied' }, 'diagnosis audit');
    deps.metrics?.diagnoses.inc({ source: request.source, verdict: 'denied' });
  }
  return decision.allowed ? { allowed: true, target } : decision;
}

/** Builds the job for an authorised request and hands it to the dispatcher; failures reach the user via `tell`. */
export function submitAuthorised(deps: SlackDeps, request: DiagnosisRequest, target: DiagnosisJobData['target'], tell: Tell): Promise<boolean> {
  const data: DiagnosisJobData = {
    target,
    requestedBy: { team: request.team, user: request.user, channel: request.channel },
    replyTo: request.threadTs ? { channel: request.channel, threadTs: request.threadTs } : { channel: request.channel },
    ...(request.sealedToken !== undefined ? { sealedToken: request.sealedToken } : {}),
    source: request.source,
    ...(request.alert ? { alert: request.alert } : {}),
  };
  return submitDiagnosis(deps, data, requestJobId(request), tell);
}

/** The job id of a request: the same for a re-delivery of it. */
export function requestJobId(request: DiagnosisRequest): string {
  return jobIdFor({ team: request.team, channel: request.channel, user: request.user, trigger: request.trigger });
}
