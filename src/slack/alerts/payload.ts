/**
 * Alertmanager's webhook payload, version 4 (prometheus/alertmanager notify/webhook/webhook.go, `Message`:
 * template.Data + version, groupKey, truncatedAlerts; each alert has status, labels, annotations, startsAt,
 * endsAt, generatorURL, fingerprint), read as untrusted input. Pure: what to diagnose and where is decided
 * here from the labels; nothing is posted.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_CLUSTER, isSlackChannelId, isValidCluster, isValidName } from '../../lib/names.js';
import { MAX_ALERT_NAME_CHARS, MAX_ALERT_SUMMARY_CHARS, type AlertRef } from '../../job/job-data.js';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  fingerprint?: string;
}

export type ParsedWebhook = { ok: true; alerts: WebhookAlert[]; groupKey?: string } | { ok: false; problem: string };

/**
 * Label pairs naming the workload, in order: Istio's standard metric labels (istio.io/latest/docs/reference/
 * config/metrics/), then the conventional ones. `destination_workload` names a Deployment, which is the
 * Service name only by convention; it is used when the rule grouped by workload.
 */
export const TARGET_LABELS = [
  ['destination_service_name', 'destination_service_namespace'],
  ['destination_workload', 'destination_workload_namespace'],
  ['service', 'namespace'],
] as const;
export const CHANNEL_LABEL = 'jwtcheck_channel';
export const CLUSTER_LABEL = 'cluster';
/** Istio's value when the proxy could not tell (e.g. a request that matched no service). */
const UNKNOWN = 'unknown';
const MAX_ALERTS = 1000;

export function parseWebhook(body: unknown): ParsedWebhook {
  if (!isRecord(body)) return { ok: false, problem: 'the body is not a JSON object' };
  if (body['version'] !== '4') return { ok: false, problem: `webhook version ${JSON.stringify(body['version'] ?? null)} is not 4` };
  const raw = body['alerts'];
  if (!Array.isArray(raw) || raw.length > MAX_ALERTS) return { ok: false, problem: `alerts must be a list of at most ${MAX_ALERTS}` };
  const alerts: WebhookAlert[] = [];
  for (const [i, a] of raw.entries()) {
    if (!isRecord(a) || (a['status'] !== 'firing' && a['status'] !== 'resolved')) return { ok: false, problem: `alerts[${i}].status must be firing or resolved` };
    alerts.push({
      status: a['status'],
      labels: stringMap(a['labels']),
      annotations: stringMap(a['annotations']),
      ...(typeof a['startsAt'] === 'string' ? { startsAt: a['startsAt'] } : {}),
      ...(typeof a['endsAt'] === 'string' ? { endsAt: a['endsAt'] } : {}),
      ...(typeof a['fingerprint'] === 'string' ? { fingerprint: a['fingerprint'] } : {}),
    });
  }
  return { ok: true, alerts, ...(typeof body['groupKey'] === 'string' ? { groupKey: body['groupKey'] } : {}) };
}

export type AlertPlan =
  | { ok: true; target: { service: string; namespace: string; cluster: string }; channel: string; alert: AlertRef; key: string }
  | { ok: false; reason: string };

/** What to diagnose, where to post, and the alert's identity; or why this alert cannot be answered. */
export function planAlert(alert: WebhookAlert, defaultChannel: string | undefined): AlertPlan {
  const { labels } = alert;
  const pair = TARGET_LABELS.find(([s, n]) => usable(labels[s]) && usable(labels[n]));
  if (!pair) {
    return { ok: false, reason: `no usable target: the labels need ${TARGET_LABELS.map(([s, n]) => `${s} + ${n}`).join(', or ')} (DNS-1123 names)` };
  }
  const cluster = labels[CLUSTER_LABEL] ?? DEFAULT_CLUSTER;
  if (!isValidCluster(cluster)) return { ok: false, reason: `label ${CLUSTER_LABEL}="${cluster}" is not a cluster name` };
  const channel = labels[CHANNEL_LABEL] ?? defaultChannel;
  if (channel === undefined) return { ok: false, reason: `no channel: set the ${CHANNEL_LABEL} label on the alert, or JWTCHECK_ALERT_CHANNEL` };
  if (!isSlackChannelId(channel)) return { ok: false, reason: `${CHANNEL_LABEL}="${channel}" is not a Slack channel id (C…)` };
  const summary = alert.annotations['summary'] ?? alert.annotations['description'];
  return {
    ok: true,
    target: { service: labels[pair[0]] ?? '', namespace: labels[pair[1]] ?? '', cluster },
    channel,
    alert: { name: clip(labels['alertname'] || 'Alert', MAX_ALERT_NAME_CHARS), ...(summary ? { summary: clip(summary, MAX_ALERT_SUMMARY_CHARS) } : {}) },
    key: alertKey(alert),
  };
}

/**
 * One incident: the fingerprint (a hash of the labels, the same on every re-send) and when it started
 * (an alert that resolves and fires again starts anew). Hex and digits only: it becomes a Redis key.
 */
export function alertKey(alert: WebhookAlert): string {
  const fingerprint =
    alert.fingerprint && /^[0-9a-f]{1,64}$/.test(alert.fingerprint)
      ? alert.fingerprint
      : createHash('sha256').update(JSON.stringify(Object.entries(alert.labels).sort())).digest('hex').slice(0, 16);
  const started = Date.parse(alert.startsAt ?? '');
  return `${fingerprint}:${Number.isFinite(started) ? started : 0}`;
}

function usable(value: string | undefined): value is string {
  return value !== undefined && value !== UNKNOWN && isValidName(value);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function stringMap(value: unknown): Record<string, string> {
  if (!isRecord(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
