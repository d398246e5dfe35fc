/**
 * "Since when, and what changed just before?" — the first two questions of every incident channel, answered
 * from evidence already read (no extra request, no new permission): the access-log lines' %START_TIME%, the
 * policies' own metadata (managedFields times, generation), the pods' start and restart times, istiod's first
 * key-fetch failure, and the token's kid against the key set fetched now.
 * A log tail is short: nothing is claimed outside the span it covers.
 */
import type {
  AccessLogSummary,
  IssuerEvidence,
  IstiodLogEvidence,
  JwtRule,
  MinuteCount,
  PodInfo,
  PolicyRef,
  PolicySet,
  RefusalRun,
  RefusalTimeline,
  Slot,
  TimelineBucket,
  TimelineChange,
  TokenEvidence,
} from '../model/index.js';

const MINUTE_MS = 60_000;
/** At most this many buckets: a sparkline that fits a chat line. */
export const MAX_BUCKETS = 60;
/** A change this long before the refusals began is too old to name as their trigger. */
const TRIGGER_WINDOW_MINUTES = 60;

export interface TimelineInput {
  proxyLogs: Slot<{ access: AccessLogSummary }>;
  policies: Slot<PolicySet>;
  pods: Slot<PodInfo[]>;
  istiodLogs: Slot<IstiodLogEvidence>;
  issuers: Slot<Record<string, IssuerEvidence>>;
  token: TokenEvidence;
}

/** undefined when the proxy log holds no timestamped access line (nothing to put on a time axis). */
export function buildRefusalTimeline(input: TimelineInput): RefusalTimeline | undefined {
  if (!input.proxyLogs.ok) return undefined;
  const minutes = input.proxyLogs.value.access.minutes ?? [];
  if (minutes.length === 0) return undefined;
  const { buckets, bucketSeconds } = bucketise(minutes);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (!first || !last) return undefined;
  const coveredTo = new Date(Date.parse(last.start) + bucketSeconds * 1000).toISOString();
  const run = currentRun(buckets, bucketSeconds);
  const changes = collectChanges(input);
  const timeline: RefusalTimeline = {
    coveredFrom: first.start,
    coveredTo,
    bucketSeconds,
    buckets,
    requests: sum(buckets.map((b) => b.requests)),
    refusals: sum(buckets.map((b) => b.refusals)),
    changes,
  };
  if (run) {
    timeline.run = run;
    const trigger = likelyTrigger(run, changes, bucketSeconds);
    if (trigger) timeline.likelyTrigger = trigger;
  }
  return timeline;
}

/** Minute counts → contiguous buckets (empty ones included), sized so the span fits MAX_BUCKETS. */
function bucketise(minutes: readonly MinuteCount[]): { buckets: TimelineBucket[]; bucketSeconds: number } {
  const startMs = Date.parse(`${minutes[0]?.minute ?? ''}:00Z`);
  const endMs = Date.parse(`${minutes[minutes.length - 1]?.minute ?? ''}:00Z`);
  const spanMinutes = Math.round((endMs - startMs) / MINUTE_MS) + 1;
  const perBucket = Math.max(1, Math.ceil(spanMinutes / MAX_BUCKETS));
  const count = Math.ceil(spanMinutes / perBucket);
  const buckets: TimelineBucket[] = Array.from({ length: count }, (_, i) => ({
    start: new Date(startMs + i * perBucket * MINUTE_MS).toISOString(),
    requests: 0,
    refusals: 0,
    byKind: {},
  }));
  for (const m of minutes) {
    const bucket = buckets[Math.floor((Date.parse(`${m.minute}:00Z`) - startMs) / MINUTE_MS / perBucket)];
    if (!bucket) continue;
    bucket.requests += m.requests;
    for (const [kind, n] of Object.entries(m.refusals)) {
      bucket.refusals += n;
      bucket.byKind[kind] = (bucket.byKind[kind] ?? 0) + n;
    }
  }
  return { buckets, bucketSeconds: perBucket * 60 };
}

/**
 * The last stretch of buckets with refusals; buckets without any request do not break it (no traffic is not
 * recovery), a bucket with requests and no refusal does. Its start is unknown when it reaches the first bucket.
 */
function currentRun(buckets: readonly TimelineBucket[], bucketSeconds: number): RefusalRun | undefined {
  let end = buckets.length - 1;
  while (end >= 0 && (buckets[end]?.refusals ?? 0) === 0) end -= 1;
  if (end < 0) return undefined;
  let start = end;
  for (let i = end - 1; i >= 0; i -= 1) {
    const b = buckets[i];
    if (!b || (b.requests > 0 && b.refusals === 0)) break;
    if (b.refusals > 0) start = i;
  }
  const inRun = buckets.slice(start, end + 1);
  const requests = sum(inRun.map((b) => b.requests));
  const refusals = sum(inRun.map((b) => b.refusals));
  const lastWithTraffic = [...buckets].reverse().find((b) => b.requests > 0);
  const codes = [...new Set(inRun.flatMap((b) => Object.keys(b.byKind).map((k) => Number(k.slice(0, 3)))))].sort();
  const allBeforeQuiet = buckets.slice(0, start).every((b) => b.requests === 0);
  return {
    since: buckets[start]?.start ?? '',
    sinceKnown: start > 0 && !allBeforeQuiet,
    until: new Date(Date.parse(buckets[end]?.start ?? '') + bucketSeconds * 1000).toISOString(),
    ongoing: lastWithTraffic !== undefined && lastWithTraffic.refusals > 0,
    requests,
    refusals,
    sharePercent: requests === 0 ? 0 : Math.round((refusals / requests) * 100),
    codes,
  };
}

function collectChanges(input: TimelineInput): TimelineChange[] {
  const changes: TimelineChange[] = [];
  if (input.policies.ok) {
    for (const ref of applyingPolicies(input.policies.value)) {
      const at = ref.changedAt ?? ref.createdAt;
      if (!at) continue;
      const updated = ref.changedAt !== undefined && ref.createdAt !== undefined && ref.changedAt > ref.createdAt;
      const generation = ref.generation !== undefined && ref.generation > 1 ? ` (generation ${ref.generation})` : '';
      changes.push({ kind: 'policy', at, what: `${policyName(ref)} was ${updated ? 'updated' : 'created'}${updated ? generation : ''}` });
    }
  }
  if (input.pods.ok) {
    for (const pod of input.pods.value) {
      if (pod.startedAt) changes.push({ kind: 'pod-start', at: pod.startedAt, what: `pod ${pod.name} started` });
      if (pod.lastRestartAt) changes.push({ kind: 'pod-restart', at: pod.lastRestartAt, what: `a container of pod ${pod.name} restarted` });
    }
  }
  if (input.istiodLogs.ok) {
    for (const f of input.istiodLogs.value.fetchFailures) {
      const at = f.firstTime ?? f.time;
      const where = f.url ?? f.issuer ?? 'an issuer';
      if (at && Number.isFinite(Date.parse(at))) {
        changes.push({ kind: 'istiod-fetch-failure', at: new Date(Date.parse(at)).toISOString(), what: `istiod first failed to fetch the keys from ${where}` });
      }
    }
  }
  const rotation = rotatedKeySentence(input);
  changes.sort((a, b) => (a.at ?? '').localeCompare(b.at ?? ''));
  if (rotation) changes.push({ kind: 'key-rotation', what: rotation });
  return changes;
}

/** The policies that reach the workload: the only ones whose change can explain its refusals. */
function applyingPolicies(set: PolicySet): PolicyRef[] {
  const refs = [
    ...set.jwtRules.filter((r) => r.applies).map((r) => r.source),
    ...set.authorizationPolicies.filter((p) => p.applies).map((p) => p.source),
    ...set.requestAuthentications.filter((p) => p.applies).map((p) => p.source),
    ...set.legacy.policies.filter((p) => p.applies).map((p) => p.source),
  ];
  const seen = new Set<string>();
  return refs.filter((r) => {
    const id = `${r.kind}/${r.namespace ?? ''}/${r.name}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function policyName(ref: PolicyRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** The token names a key id that no key set of its issuer holds now: the issuer rotated its keys. */
function rotatedKeySentence(input: TimelineInput): string | undefined {
  const kid = input.token.header?.['kid'];
  const iss = input.token.claims?.['iss'];
  if (typeof kid !== 'string' || typeof iss !== 'string' || !input.issuers.ok || !input.policies.ok) return undefined;
  const rules = input.policies.value.jwtRules.filter((r: JwtRule) => r.applies && r.issuer === iss);
  const keySets = rules.map((r) => input.issuers.ok ? input.issuers.value[r.key]?.keySet : undefined).filter((k) => k?.ok);
  if (keySets.length === 0) return undefined;
  const known = keySets.some((k) => k?.ok && k.value.keys.some((key) => key.kid === kid || key.kid === undefined));
  return known ? undefined : `the token's key id ${kid} is not in ${iss}'s key set now: the issuer rotated its keys`;
}

/** The latest timed change between TRIGGER_WINDOW_MINUTES before the run and the end of its first bucket. */
function likelyTrigger(run: RefusalRun, changes: readonly TimelineChange[], bucketSeconds: number): RefusalTimeline['likelyTrigger'] {
  if (!run.sinceKnown) return undefined;
  const since = Date.parse(run.since);
  const candidates = changes.filter((c) => {
    if (!c.at) return false;
    const at = Date.parse(c.at);
    return at <= since + bucketSeconds * 1000 && at >= since - TRIGGER_WINDOW_MINUTES * MINUTE_MS;
  });
  const change = candidates[candidates.length - 1];
  if (!change?.at) return undefined;
  return { change, minutesBefore: Math.max(0, Math.round((since - Date.parse(change.at)) / MINUTE_MS)) };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
