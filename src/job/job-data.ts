/**
 * DESIGN §9: the queue contract. Job data is exactly
 * `{ target: {service, namespace, cluster}, requestedBy: {team, user, channel}, replyTo: {channel, threadTs?}, sealedToken? }`
 * and is validated when enqueued and again when processed (Redis content is input like any other).
 * Two optional fields extend it (issue 13), validated like the rest; a job without them is still valid:
 * `source` (which surface asked: the audit line and the diagnoses counter) and `alert` (the Alertmanager
 * alert a diagnosis answers: its name and summary head the parent, which the app posted as `replyTo.threadTs`).
 */
import { createHash } from 'node:crypto';
import { DEFAULT_CLUSTER, isValidCluster, isValidName } from '../lib/names.js';
import { isSealedToken } from './seal.js';

export const QUEUE_NAME = 'jwtcheck';
export const JOB_NAME = 'diagnose';
/** BullMQ's default key prefix; per-cluster queues extend it (see queueLocation). */
export const BULL_PREFIX = 'bull';

export const DIAGNOSIS_SOURCES = ['slash', 'dm', 'rerun', 'form', 'home', 'alert'] as const;
export type DiagnosisSource = (typeof DIAGNOSIS_SOURCES)[number];

/** The alert a diagnosis answers. Bounded: Alertmanager passes annotations through as written. */
export interface AlertRef {
  name: string;
  summary?: string;
}
export const MAX_ALERT_NAME_CHARS = 200;
export const MAX_ALERT_SUMMARY_CHARS = 1000;

export interface DiagnosisJobData {
  target: { service: string; namespace: string; cluster: string };
  requestedBy: { team: string; user: string; channel: string };
  replyTo: { channel: string; threadTs?: string };
  sealedToken?: string;
  source?: DiagnosisSource;
  alert?: AlertRef;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; problems: string[] };

const SLACK_ID = /^[A-Z0-9][A-Z0-9_-]{0,40}$/i;
const SLACK_TS = /^\d{1,12}\.\d{1,9}$/;

export function validateJobData(input: unknown): Validation<DiagnosisJobData> {
  const problems: string[] = [];
  if (!isRecord(input)) return { ok: false, problems: ['job data is not an object'] };
  const allowed = new Set(['target', 'requestedBy', 'replyTo', 'sealedToken', 'source', 'alert']);
  for (const key of Object.keys(input)) if (!allowed.has(key)) problems.push(`unexpected field "${key}"`);

  const target = input['target'];
  if (!isRecord(target)) problems.push('target must be an object');
  else {
    if (typeof target['service'] !== 'string' || !isValidName(target['service'])) problems.push('target.service is not a DNS-1123 label');
    if (typeof target['namespace'] !== 'string' || !isValidName(target['namespace'])) problems.push('target.namespace is not a DNS-1123 label');
    if (typeof target['cluster'] !== 'string' || !isValidCluster(target['cluster'])) problems.push('target.cluster is not a valid cluster name');
    for (const key of Object.keys(target)) if (!['service', 'namespace', 'cluster'].includes(key)) problems.push(`unexpected field "target.${key}"`);
  }
  const by = input['requestedBy'];
  if (!isRecord(by)) problems.push('requestedBy must be an object');
  else {
    for (const key of ['team', 'user', 'channel'] as const) {
      if (typeof by[key] !== 'string' || !SLACK_ID.test(by[key])) problems.push(`requestedBy.${key} is not a Slack id`);
    }
    for (const key of Object.keys(by)) if (!['team', 'user', 'channel'].includes(key)) problems.push(`unexpected field "requestedBy.${key}"`);
  }
  const reply = input['replyTo'];
  if (!isRecord(reply)) problems.push('replyTo must be an object');
  else {
    if (typeof reply['channel'] !== 'string' || !SLACK_ID.test(reply['channel'])) problems.push('replyTo.channel is not a Slack id');
    if (reply['threadTs'] !== undefined && (typeof reply['threadTs'] !== 'string' || !SLACK_TS.test(reply['threadTs']))) {
      problems.push('replyTo.threadTs is not a Slack timestamp');
    }
    for (const key of Object.keys(reply)) if (!['channel', 'threadTs'].includes(key)) problems.push(`unexpected field "replyTo.${key}"`);
  }
  const sealed = input['sealedToken'];
  if (sealed !== undefined && (typeof sealed !== 'string' || !isSealedToken(sealed))) {
    // Never describe the value: if a raw token got here by mistake it must not reach a log.
    problems.push('sealedToken is not a sealed token (v1.<iv>.<tag>.<ciphertext>)');
  }
  const source = input['source'];
  if (source !== undefined && !DIAGNOSIS_SOURCES.includes(source as DiagnosisSource)) problems.push(`source is not one of ${DIAGNOSIS_SOURCES.join(', ')}`);
  problems.push(...alertProblems(input['alert']));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: input as unknown as DiagnosisJobData };
}

/**
 * BullMQ refuses ':' in queue names, yet the contract names per-cluster queues `jwtcheck:<cluster>`.
 * Redis keys are `<prefix>:<name>:…`, so queue `<cluster>` under prefix `bull:jwtcheck` lives at exactly
 * the keys a queue named `jwtcheck:<cluster>` would have: `bull:jwtcheck:<cluster>:…`.
 *
 * On a Redis Cluster (`hashTagged`) BullMQ's scripts touch several keys of a queue at once, which Redis
 * refuses (CROSSSLOT) unless they share a hash slot; BullMQ's guidance is a `{…}` hash tag in the prefix or
 * the name (docs.bullmq.io/patterns/redis-cluster). Every jwtcheck key then braces the word jwtcheck:
 * `bull:{jwtcheck}:…` and `bull:{jwtcheck}:<cluster>:…`, so all queues and the app's own keys (appKey)
 * share the one slot of `jwtcheck`.
 */
export function queueLocation(cluster: string, hashTagged = false): { name: string; prefix: string; label: string } {
  const word = hashTagged ? `{${QUEUE_NAME}}` : QUEUE_NAME;
  if (cluster === DEFAULT_CLUSTER) return { name: word, prefix: BULL_PREFIX, label: QUEUE_NAME };
  return { name: cluster, prefix: `${BULL_PREFIX}:${word}`, label: `${QUEUE_NAME}:${cluster}` };
}

/** The app's own keys (request dedup, token stash, and any later state): `jwtcheck:<kind>:<id>`, braced like the queues. */
export function appKey(kind: string, id: string, hashTagged = false): string {
  return `${hashTagged ? `{${QUEUE_NAME}}` : QUEUE_NAME}:${kind}:${id}`;
}

/**
 * One id per Slack request, so a request delivered twice (Slack retry, double submit) runs once.
 * Hex only: BullMQ refuses ':' and plain integers in custom ids.
 */
export function jobIdFor(parts: { team: string; channel: string; user: string; trigger: string }): string {
  const digest = createHash('sha256').update([parts.team, parts.channel, parts.user, parts.trigger].join('\n')).digest('hex');
  return `slack-${digest.slice(0, 40)}`;
}

function alertProblems(alert: unknown): string[] {
  if (alert === undefined) return [];
  if (!isRecord(alert)) return ['alert must be an object'];
  const problems: string[] = [];
  const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.length > 0 && v.length <= max;
  if (!text(alert['name'], MAX_ALERT_NAME_CHARS)) problems.push(`alert.name must be text of 1 to ${MAX_ALERT_NAME_CHARS} characters`);
  if (alert['summary'] !== undefined && !text(alert['summary'], MAX_ALERT_SUMMARY_CHARS)) problems.push(`alert.summary must be text of 1 to ${MAX_ALERT_SUMMARY_CHARS} characters`);
  for (const key of Object.keys(alert)) if (!['name', 'summary'].includes(key)) problems.push(`unexpected field "alert.${key}"`);
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** requestedBy.team and .user of an alert-triggered job: no person asked (audit "who", App Home's alert list). */
export const ALERT_REQUESTER = 'alertmanager';
