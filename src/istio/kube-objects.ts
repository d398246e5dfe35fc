/**
 * Kubernetes objects (Service, Pod, Namespace) as the API server or a YAML file has them → the
 * evidence model. Input is untrusted: a field of the wrong type is treated as absent, never thrown on,
 * because a diagnosis of a half-broken cluster is exactly when odd shapes show up.
 * The small readers below (`asRecord`, `asString`, …) are shared with the policy normaliser.
 */
import type { KubeObject, Labels, NamespaceInfo, PodInfo, ServiceInfo, ServicePort } from '../model/index.js';

// ---------------------------------------------------------------- untrusted-shape readers

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asArray(value: unknown): unknown[] | undefined {
  return Array.isArray(value) ? value : undefined;
}

/** A list of strings, or undefined when the value is not a list or holds anything but strings. */
export function asStringArray(value: unknown): string[] | undefined {
  const list = asArray(value);
  return list && list.every((v): v is string => typeof v === 'string') ? list : undefined;
}

/** A label map; non-string values are dropped (YAML turns `version: 1` into a number). */
export function asLabels(value: unknown): Labels {
  const record = asRecord(value);
  const labels: Labels = {};
  if (!record) return labels;
  for (const [key, v] of Object.entries(record)) {
    if (typeof v === 'string') labels[key] = v;
    // Kubernetes would have refused a number; a hand-written file may still say `version: 1`.
    else if (typeof v === 'number' || typeof v === 'boolean') labels[key] = String(v);
  }
  return labels;
}

/** The first of several spellings that is present (camelCase as the API serves it, snake_case as old docs wrote it). */
export function field(record: Record<string, unknown> | undefined, ...names: string[]): unknown {
  if (!record) return undefined;
  for (const name of names) {
    if (record[name] !== undefined) return record[name];
  }
  return undefined;
}

function metadataOf(obj: KubeObject): Record<string, unknown> {
  return asRecord(obj.metadata) ?? {};
}

export function nameOf(obj: KubeObject): string | undefined {
  return asString(metadataOf(obj)['name']);
}

export function namespaceOf(obj: KubeObject): string | undefined {
  return asString(metadataOf(obj)['namespace']);
}

// ---------------------------------------------------------------- Service

/**
 * When an object was created and last changed, from what the API server records on every object:
 * `creationTimestamp`, `generation`, and `managedFields[].time` (each apply or update stamps its field manager).
 */
export function changeStampOf(obj: KubeObject): { createdAt?: string; changedAt?: string; generation?: number } {
  const meta = metadataOf(obj);
  const out: { createdAt?: string; changedAt?: string; generation?: number } = {};
  const created = isoTime(meta['creationTimestamp']);
  if (created) out.createdAt = created;
  const times = (asArray(meta['managedFields']) ?? []).map((m) => isoTime(asRecord(m)?.['time'])).filter((t): t is string => t !== undefined);
  const changed = latestTime([...times, ...(created ? [created] : [])]);
  if (changed) out.changedAt = changed;
  const generation = meta['generation'];
  if (typeof generation === 'number' && Number.isInteger(generation)) out.generation = generation;
  return out;
}

/** A time as the API server writes it (RFC 3339), normalised to ISO; client-node hands Date objects. */
function isoTime(value: unknown): string | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function latestTime(times: readonly string[]): string | undefined {
  return times.reduce<string | undefined>((a, b) => (a === undefined || b > a ? b : a), undefined);
}

export function toServiceInfo(obj: KubeObject): ServiceInfo {
  const meta = metadataOf(obj);
  const spec = asRecord(obj.spec) ?? {};
  const selector = asLabels(spec['selector']);
  const info: ServiceInfo = {
    name: asString(meta['name']) ?? '',
    namespace: asString(meta['namespace']) ?? '',
    labels: asLabels(meta['labels']),
    // An empty selector means the same to Kubernetes as none: endpoints are managed by someone else.
    selector: Object.keys(selector).length > 0 ? selector : undefined,
    ports: (asArray(spec['ports']) ?? []).flatMap(toServicePort),
  };
  const type = asString(spec['type']);
  if (type !== undefined) info.type = type;
  return info;
}

function toServicePort(value: unknown): ServicePort[] {
  const raw = asRecord(value);
  const port = raw?.['port'];
  if (!raw || typeof port !== 'number' || !Number.isFinite(port)) return [];
  const out: ServicePort = { port };
  const name = asString(raw['name']);
  if (name !== undefined) out.name = name;
  const target = raw['targetPort'];
  if (typeof target === 'number' || typeof target === 'string') out.targetPort = target;
  const protocol = asString(raw['protocol']);
  if (protocol !== undefined) out.protocol = protocol;
  const appProtocol = asString(raw['appProtocol']);
  if (appProtocol !== undefined) out.appProtocol = appProtocol;
  return [out];
}

// ---------------------------------------------------------------- Pod

export function toPodInfo(obj: KubeObject): PodInfo {
  const meta = metadataOf(obj);
  const spec = asRecord(obj.spec) ?? {};
  const status = asRecord(obj.status) ?? {};
  const containerStatuses = records(status['containerStatuses']);
  const initStatuses = records(status['initContainerStatuses']);
  const info: PodInfo = {
    name: asString(meta['name']) ?? '',
    namespace: asString(meta['namespace']) ?? '',
    labels: asLabels(meta['labels']),
    annotations: asLabels(meta['annotations']),
    phase: asString(status['phase']) ?? 'Unknown',
    ready: (asArray(status['conditions']) ?? []).some((c) => {
      const cond = asRecord(c);
      return cond?.['type'] === 'Ready' && cond['status'] === 'True';
    }),
    containers: containerNames(spec['containers']),
    initContainers: containerNames(spec['initContainers']),
    // Init containers count too: a native istio-proxy sidecar restarts there (Kubernetes 1.28+).
    restarts: [...containerStatuses, ...initStatuses].reduce((sum, s) => {
      const n = s['restartCount'];
      return sum + (typeof n === 'number' && Number.isFinite(n) ? n : 0);
    }, 0),
  };
  // App containers first: that is what `kubectl get pods` shows in STATUS; a stuck init container
  // (istio-init failing, istio-validation) is the next most telling reason.
  const waiting = [...containerStatuses, ...initStatuses]
    .map((s) => asString(asRecord(asRecord(s['state'])?.['waiting'])?.['reason']))
    .find((r): r is string => r !== undefined && r !== '');
  if (waiting !== undefined) info.waitingReason = waiting;
  // `proxy router` (gateway) vs `proxy sidecar`: the istio-proxy container's args tell the data-plane role.
  const proxy = [...records(spec['containers']), ...records(spec['initContainers'])].find((c) => c['name'] === 'istio-proxy');
  const args = asStringArray(proxy?.['args']);
  if (args && args.length > 0) info.proxyArgs = args;
  const startedAt = isoTime(status['startTime']);
  if (startedAt) info.startedAt = startedAt;
  // A restarted container's current run began at state.running.startedAt: when it last came back.
  const restartedAt = latestTime(
    [...containerStatuses, ...initStatuses]
      .filter((s) => typeof s['restartCount'] === 'number' && s['restartCount'] > 0)
      .map((s) => isoTime(asRecord(asRecord(s['state'])?.['running'])?.['startedAt']))
      .filter((t): t is string => t !== undefined),
  );
  if (restartedAt) info.lastRestartAt = restartedAt;
  return info;
}

function records(value: unknown): Record<string, unknown>[] {
  return (asArray(value) ?? []).map(asRecord).filter((r): r is Record<string, unknown> => r !== undefined);
}

function containerNames(value: unknown): string[] {
  return (asArray(value) ?? []).flatMap((c) => {
    const name = asString(asRecord(c)?.['name']);
    return name === undefined ? [] : [name];
  });
}

// ---------------------------------------------------------------- Namespace

export function toNamespaceInfo(name: string, obj: KubeObject | undefined): NamespaceInfo {
  return { name, exists: obj !== undefined, labels: obj ? asLabels(metadataOf(obj)['labels']) : {} };
}

// ---------------------------------------------------------------- near names

export const NEAR_NAMES_MAX = 3;
export const NEAR_NAMES_MAX_DISTANCE = 3;
/** Shorter strings are substrings of too many names to be a useful hint. */
const MIN_SUBSTRING_LENGTH = 3;

/**
 * Names that look like a typo of `wanted` (workload.service check: "did you mean httpbin?"):
 * edit distance ≤ 3, or one contains the other (httpbin vs httpbin-v2). Best first.
 */
export function nearNames(wanted: string, names: string[]): string[] {
  const w = wanted.toLowerCase();
  const scored = [...new Set(names)].flatMap((name) => {
    const n = name.toLowerCase();
    if (name === wanted) return [];
    const distance = editDistance(w, n);
    const shorter = Math.min(w.length, n.length);
    const contains = shorter >= MIN_SUBSTRING_LENGTH && (n.includes(w) || w.includes(n));
    if (distance > NEAR_NAMES_MAX_DISTANCE && !contains) return [];
    // A prefix (httpbin → httpbin-v2) is a better hint than a far substring.
    const rank = distance + (n.startsWith(w) || w.startsWith(n) ? 0 : 0.5);
    return [{ name, rank }];
  });
  scored.sort((a, b) => a.rank - b.rank || a.name.localeCompare(b.name));
  return scored.slice(0, NEAR_NAMES_MAX).map((s) => s.name);
}

/** Levenshtein distance, two rows. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
