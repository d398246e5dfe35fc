import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ClusterSource, LogReadOptions } from '../model/cluster-source.js';
import type { KubeObject, Labels } from '../model/index.js';
import { FROM_TEMPLATE_ANNOTATION } from '../model/index.js';
import { JwtcheckError } from '../errors.js';
import { matchesRequirements, parseSelector } from '../lib/label-selector.js';

/**
 * A ClusterSource over files: the YAML people have at hand (manifests, `kubectl get -o yaml|json`)
 * and log files (`kubectl logs … > proxy.log`). It answers the same questions as the live source, the
 * way the API server would (namespace defaulting, label selectors, log tails), so the engine and the
 * checks cannot tell the difference — except where the snapshot must make something up, which it marks:
 * pods synthesized from a workload's template carry the annotation `jwtcheck.io/from-template`.
 */

export const SNAPSHOT_NAME = 'snapshot';
export { FROM_TEMPLATE_ANNOTATION };
/** Marks the istiod pod made up so an istiod log file can be read: the log file's name. */
export const FROM_LOG_ANNOTATION = 'jwtcheck.io/from-log';
const DISCOVERY_CONTAINER = 'discovery';
/** The record of when a snapshot was captured (see capturedAt). */
export const SNAPSHOT_GROUP = 'jwtcheck.io';
export const SNAPSHOT_KIND = 'Snapshot';
const PROXY_CONTAINER = 'istio-proxy';
/** Labels istiod pods carry in every release; selectors for istiod use one of them. */
const ISTIOD_LABELS: Labels = { app: 'istiod', istio: 'pilot' };

/** As kubectl apply: these kinds have no namespace; everything else defaults to `default`. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'PriorityClass',
  'IngressClass',
  'APIService',
  'MeshPolicy',
  'ClusterRbacConfig',
  'RbacConfig',
  'GatewayClass',
]);

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet']);

/**
 * Groups the snapshot answers for even when no object of them is in the files: the modern Istio API
 * (its absence from files means "no policy written", not "Istio missing"). Other groups are "not
 * served" unless an object of the group or its CRD is in the files.
 */
const ALWAYS_SERVED_GROUPS = new Set(['security.istio.io']);

export interface SnapshotLog {
  /** The pod the log belongs to; unset = every pod (istio-proxy) or any istiod pod (discovery). */
  pod?: string;
  /** Defaults to istio-proxy. */
  container?: 'istio-proxy' | 'discovery';
  text: string;
  /** Where it came from, for messages. */
  source?: string;
}

export class SnapshotClusterSource implements ClusterSource {
  readonly name = SNAPSHOT_NAME;
  private readonly objects: KubeObject[];
  private readonly logs: SnapshotLog[];

  static fromFiles(yamlPaths: string[], logPaths: string[] = []): SnapshotClusterSource {
    const objects = yamlPaths.flatMap((path) => parseObjects(readText(path), basename(path)));
    const podNames = new Set(objects.filter((o) => o.kind === 'Pod').map((o) => o.metadata?.name));
    const logs = logPaths.map((path): SnapshotLog => classifyLogFile(basename(path), readText(path), podNames));
    return new SnapshotClusterSource(objects, logs);
  }

  static fromObjects(objects: KubeObject[], logs: SnapshotLog[] = []): SnapshotClusterSource {
    return new SnapshotClusterSource(objects, logs);
  }

  private constructor(objects: KubeObject[], logs: SnapshotLog[]) {
    this.objects = objects.flatMap(unwrapList).map(withDefaultNamespace);
    this.logs = logs;
  }

  requestCount(): number {
    return 0;
  }

  /**
   * When the snapshot was taken, if the files hold a record of it (examples/README.md):
   * `apiVersion: jwtcheck.io/v1`, `kind: Snapshot`, `metadata.name`, `capturedAt: <RFC 3339 time>`.
   */
  capturedAt(): Date | undefined {
    const record = this.objects.find((o) => o.kind === SNAPSHOT_KIND && groupOf(o) === SNAPSHOT_GROUP);
    if (!record) return undefined;
    const value = record['capturedAt'];
    const when = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    if (!when || Number.isNaN(when.getTime())) {
      throw new JwtcheckError('usage', `Snapshot ${record.metadata?.name ?? ''} has no valid capturedAt: write it as an RFC 3339 time, e.g. 2026-11-29T10:05:00Z.`);
    }
    return when;
  }

  /**
   * Which file became which log, in words ("httpbin.log → the istio-proxy log of pod httpbin-…"). A file
   * that would be the same log as an earlier one is said to be unread: logFor takes the first.
   */
  describeLogs(): string[] {
    const first = new Map<string, SnapshotLog>();
    return this.logs.map((log) => {
      const container = log.container ?? PROXY_CONTAINER;
      const key = container === DISCOVERY_CONTAINER ? container : `${container}/${log.pod ?? '*'}`;
      const taken = first.get(key);
      if (taken) return `${log.source ?? '(unnamed)'} → not read: ${taken.source ?? 'an earlier file'} is already that log`;
      first.set(key, log);
      const what =
        container === DISCOVERY_CONTAINER
          ? "istiod's log"
          : log.pod !== undefined
            ? `the istio-proxy log of pod ${log.pod}`
            : 'the istio-proxy log of every pod (no pod of that name)';
      return `${log.source ?? '(unnamed)'} → ${what}`;
    });
  }

  readService(namespace: string, name: string): Promise<KubeObject | undefined> {
    return Promise.resolve(this.find('Service', namespace, name));
  }

  listServiceNames(namespace: string): Promise<string[]> {
    return Promise.resolve(
      this.objects
        .filter((o) => isCore(o, 'Service') && o.metadata?.namespace === namespace)
        .map((o) => o.metadata?.name)
        .filter((n): n is string => typeof n === 'string'),
    );
  }

  readNamespace(name: string): Promise<KubeObject | undefined> {
    const written = this.objects.find((o) => isCore(o, 'Namespace') && o.metadata?.name === name);
    if (written) return Promise.resolve(structuredClone(written));
    // A real cluster cannot hold objects in a namespace that does not exist.
    const used =
      this.objects.some((o) => o.metadata?.namespace === name) || (this.istiodLog() !== undefined && name === 'istio-system');
    return Promise.resolve(used ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } : undefined);
  }

  listPods(namespace: string, labelSelector: string, limit: number): Promise<KubeObject[]> {
    let requirements;
    try {
      requirements = parseSelector(labelSelector);
    } catch (err) {
      return Promise.reject(err);
    }
    const matches = (o: KubeObject): boolean => matchesRequirements(requirements, o.metadata?.labels ?? {});
    let pods = this.objects.filter((o) => isCore(o, 'Pod') && o.metadata?.namespace === namespace && matches(o));
    if (pods.length === 0) pods = this.templatePods(namespace).filter(matches);
    if (pods.length === 0) {
      const istiod = this.istiodPod(namespace);
      if (istiod && matches(istiod)) pods = [istiod];
    }
    const bounded = limit > 0 ? pods.slice(0, limit) : pods;
    return Promise.resolve(bounded.map((p) => structuredClone(p)));
  }

  listCustomObjects(
    group: string,
    versions: readonly string[],
    plural: string,
    namespace?: string,
  ): Promise<KubeObject[] | undefined> {
    void versions; // a file holds one stored version; the API server would serve it at every version
    const ofGroup = this.objects.filter((o) => groupOf(o) === group);
    const crdName = `${plural}.${group}`;
    const crdPresent = this.objects.some((o) => o.kind === 'CustomResourceDefinition' && o.metadata?.name === crdName);
    const served = ALWAYS_SERVED_GROUPS.has(group) || ofGroup.length > 0 || crdPresent;
    if (!served) return Promise.resolve(undefined);
    const items = ofGroup.filter(
      (o) => typeof o.kind === 'string' && pluralOf(o.kind) === plural && (namespace === undefined || o.metadata?.namespace === namespace),
    );
    return Promise.resolve(items.map((o) => structuredClone(o)));
  }

  readPodLog(namespace: string, pod: string, container: string, options: LogReadOptions): Promise<string> {
    if (!this.podExists(namespace, pod)) {
      return Promise.reject(
        new JwtcheckError('not-found', `Pod ${pod} is not in the snapshot (namespace ${namespace}), so its ${container} log cannot be read.`),
      );
    }
    const log = this.logFor(pod, container);
    if (log === undefined) {
      const how =
        container === DISCOVERY_CONTAINER
          ? 'kubectl logs -n istio-system deploy/istiod > istiod.log'
          : `kubectl logs -n ${namespace} ${pod} -c ${container} > ${pod}.log`;
      return Promise.reject(
        new JwtcheckError('unavailable', `The snapshot has no ${container} log for pod ${pod}: save one (${how}) and pass it with --logs.`),
      );
    }
    return Promise.resolve(tailLog(log.text, options.tailLines, options.limitBytes));
  }

  // ------------------------------------------------------------------ helpers

  private find(kind: string, namespace: string, name: string): KubeObject | undefined {
    const found = this.objects.find((o) => isCore(o, kind) && o.metadata?.namespace === namespace && o.metadata.name === name);
    return found ? structuredClone(found) : undefined;
  }

  private logFor(pod: string, container: string): SnapshotLog | undefined {
    const wanted = (log: SnapshotLog): string => log.container ?? PROXY_CONTAINER;
    const own = this.logs.find((l) => l.pod === pod && wanted(l) === container);
    if (own) return own;
    // A log not tied to a pod: the usual `kubectl logs deploy/x -c istio-proxy > proxy.log`.
    return this.logs.find((l) => l.pod === undefined && wanted(l) === container);
  }

  private istiodLog(): SnapshotLog | undefined {
    return this.logs.find((l) => l.container === DISCOVERY_CONTAINER);
  }

  /** One pod per workload of the namespace, from its pod template (only used when no Pod is in the files). */
  private templatePods(namespace: string): KubeObject[] {
    return this.objects
      .filter((o) => typeof o.kind === 'string' && WORKLOAD_KINDS.has(o.kind) && o.metadata?.namespace === namespace)
      .filter((o) => !(o.kind === 'ReplicaSet' && ownedByWorkloadInFiles(o, this.objects)))
      .map((workload) => podFromTemplate(workload))
      .filter((p): p is KubeObject => p !== undefined);
  }

  /** The istiod pod implied by an istiod log file when no istiod pod or Deployment is in the files. */
  private istiodPod(namespace: string): KubeObject | undefined {
    const log = this.istiodLog();
    if (log === undefined) return undefined;
    // A real control-plane pod in the files (istiod, or Pilot before 1.5) wins: it has the image, so the version.
    const labelled = (o: KubeObject) =>
      Object.entries(ISTIOD_LABELS).some(([k, v]) => o.metadata?.labels?.[k] === v);
    if (this.objects.some((o) => isCore(o, 'Pod') && o.metadata?.namespace === namespace && labelled(o))) return undefined;
    const name = log.pod ?? 'istiod';
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { ...ISTIOD_LABELS },
        annotations: { [FROM_LOG_ANNOTATION]: log.source ?? 'istiod log' },
      },
      // The image, and so the Istio version, is unknown: a log file does not say.
      spec: { containers: [{ name: DISCOVERY_CONTAINER }] },
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [{ name: DISCOVERY_CONTAINER, ready: true, restartCount: 0 }],
      },
    };
  }

  private podExists(namespace: string, pod: string): boolean {
    const named = (o: KubeObject): boolean => o.metadata?.name === pod;
    if (this.objects.some((o) => isCore(o, 'Pod') && o.metadata?.namespace === namespace && named(o))) return true;
    if (this.templatePods(namespace).some(named)) return true;
    const istiod = this.istiodPod(namespace);
    return istiod !== undefined && named(istiod);
  }
}

// ---------------------------------------------------------------- files

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(code ?? err);
    throw new JwtcheckError('invalid', `Cannot read ${path}: ${why}. Check the paths given to --files/--logs.`, { cause: err });
  }
}

/** Multi-document YAML or `kubectl get -o json` output -> objects; `kind: List` unwrapped. */
export function parseObjects(text: string, fileName: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { logLevel: 'error' })) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line;
      const reason = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
      throw new JwtcheckError('invalid', `${fileName}${line !== undefined ? ` line ${line}` : ''}: ${reason}.`, { cause: error });
    }
    const value: unknown = doc.toJS();
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    objects.push(...unwrapList(value as KubeObject));
  }
  return objects;
}

function unwrapList(object: KubeObject): KubeObject[] {
  const items = object['items'];
  if (typeof object.kind === 'string' && object.kind.endsWith('List') && Array.isArray(items)) {
    return items.filter((i): i is KubeObject => i !== null && typeof i === 'object').flatMap(unwrapList);
  }
  // Only real objects: a stray values file or a fragment has no kind.
  return typeof object.kind === 'string' && typeof object.metadata?.name === 'string' ? [object] : [];
}

function withDefaultNamespace(object: KubeObject): KubeObject {
  const copy = structuredClone(object);
  if (typeof copy.kind === 'string' && !CLUSTER_SCOPED_KINDS.has(copy.kind) && copy.metadata && !copy.metadata.namespace) {
    copy.metadata.namespace = 'default';
  }
  return copy;
}

/**
 * Which pod and container a log file belongs to, from its name: istiod/discovery in the name -> the
 * istiod log; `<pod>.log` or `<pod>.istio-proxy.log` for a pod in the files -> that pod's proxy log;
 * anything else -> the proxy log of every pod (`kubectl logs deploy/httpbin -c istio-proxy > proxy.log`).
 */
export function classifyLogFile(fileName: string, text: string, podNames: ReadonlySet<string | undefined>): SnapshotLog {
  if (/istiod|discovery/i.test(fileName)) return { container: 'discovery', text, source: fileName };
  const stem = fileName.replace(/\.(log|txt)$/i, '');
  const pod = stem.endsWith(`.${PROXY_CONTAINER}`) ? stem.slice(0, -`.${PROXY_CONTAINER}`.length) : stem;
  if (podNames.has(pod)) return { pod, container: 'istio-proxy', text, source: fileName };
  return { container: 'istio-proxy', text, source: fileName };
}

// ---------------------------------------------------------------- objects

function isCore(object: KubeObject, kind: string): boolean {
  return object.kind === kind && (object.apiVersion === 'v1' || object.apiVersion === undefined);
}

function groupOf(object: KubeObject): string {
  const apiVersion = object.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** The resource name the API path uses: RequestAuthentication -> requestauthentications, Policy -> policies. */
export function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === 'endpoints') return lower;
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

function ownedByWorkloadInFiles(replicaSet: KubeObject, objects: readonly KubeObject[]): boolean {
  const owners = replicaSet.metadata?.['ownerReferences'];
  if (!Array.isArray(owners)) return false;
  return owners.some((owner: unknown) => {
    const ref = owner as { kind?: unknown; name?: unknown };
    return objects.some(
      (o) => o.kind === ref.kind && o.metadata?.name === ref.name && o.metadata?.namespace === replicaSet.metadata?.namespace,
    );
  });
}

interface PodTemplate {
  metadata?: { labels?: Labels; annotations?: Labels };
  spec?: { containers?: { name?: string; image?: string }[]; initContainers?: unknown[] } & Record<string, unknown>;
}

/**
 * A running, ready pod built from the template, containers exactly as written: the snapshot does not
 * guess whether injection would have added istio-proxy, and says where the pod came from.
 */
function podFromTemplate(workload: KubeObject): KubeObject | undefined {
  const template = (workload.spec?.['template'] ?? undefined) as PodTemplate | undefined;
  const name = workload.metadata?.name;
  if (template === undefined || name === undefined) return undefined;
  const spec = structuredClone(template.spec ?? {});
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${name}-template`,
      namespace: workload.metadata?.namespace ?? 'default',
      labels: { ...(template.metadata?.labels ?? {}) },
      annotations: { ...(template.metadata?.annotations ?? {}), [FROM_TEMPLATE_ANNOTATION]: `${workload.kind ?? 'Workload'}/${name}` },
    },
    spec,
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: containers.map((c) => ({
        name: c.name,
        ready: true,
        restartCount: 0,
        ...(c.image !== undefined ? { image: c.image } : {}),
        state: { running: {} },
      })),
    },
  };
}

/** As the kubelet: the last `tailLines` lines, then at most `limitBytes` from the start of that tail. */
export function tailLog(text: string, tailLines: number, limitBytes: number): string {
  let out = text;
  if (Number.isFinite(tailLines) && tailLines >= 0) {
    const trailingNewline = out.endsWith('\n');
    const lines = out.split('\n');
    if (trailingNewline) lines.pop();
    const kept = tailLines === 0 ? [] : lines.slice(-tailLines);
    out = kept.length === 0 ? '' : kept.join('\n') + (trailingNewline ? '\n' : '');
  }
  if (Number.isFinite(limitBytes) && limitBytes >= 0) {
    const bytes = Buffer.from(out, 'utf8');
    if (bytes.length > limitBytes) out = bytes.subarray(0, limitBytes).toString('utf8');
  }
  return out;
}
