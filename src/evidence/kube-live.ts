import { delimiter } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, Observable } from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { ClusterSource, LogReadOptions } from '../model/cluster-source.js';
import type { KubeObject } from '../model/index.js';
import { DEFAULT_KUBE_TIMEOUT_MS } from '../config.js';
import { JwtcheckError } from '../errors.js';
import { shareDispatchers } from './kube-dispatcher.js';
import { describeCall, isApiStatus, isTimeout, toKubeError } from './kube-errors.js';
import type { KubeCall, KubeEndpoint } from './kube-errors.js';
import { formatSeconds } from '../lib/time-words.js';

/**
 * The live ClusterSource: read-only calls through @kubernetes/client-node, configured like kubectl
 * (KUBECONFIG, ~/.kube/config, then in-cluster). All requests share one deadline, started by the first
 * (the client has none, STACK §3): a hung API ends the diagnosis after that time, not after one timeout
 * per wave of requests. Requests are counted, so a diagnosis can prove it made a small fixed number.
 */

export const KUBE_REQUEST_TIMEOUT_MS = DEFAULT_KUBE_TIMEOUT_MS;
/** Pending calls named in the deadline sentence; the rest are counted. */
const NAMED_PENDING_CALLS = 3;
/** Names are only used to suggest near names for a typo; a namespace with more is unusual. */
const SERVICE_NAMES_LIMIT = 500;
/** Context name loadFromCluster() gives the service-account config. */
const IN_CLUSTER_CONTEXT = 'inClusterContext';
/** What loadFromDefault() falls back to when it found nothing; every call would fail. */
const FALLBACK_CONTEXT = 'loaded-context';

export interface LiveClusterSourceOptions {
  /** Like kubectl --context. */
  context?: string;
  kubeconfigPath?: string;
  /** Kubeconfig text (tests). */
  kubeconfigYaml?: string;
  /** The deadline for all requests of this source (one diagnosis), from its first request. */
  requestTimeoutMs?: number;
}

export class LiveClusterSource implements ClusterSource {
  readonly name: string;
  /** The current context's namespace, as kubectl defaults `-n` to it (undefined when the context sets none). */
  readonly contextNamespace: string | undefined;
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly endpoint: KubeEndpoint;
  private requests = 0;
  private deadline: AbortSignal | undefined;
  private readonly pending = new Set<KubeCall>();
  /** Built once when the deadline fires, so every check it stopped shows the same sentence. */
  private deadlineError: JwtcheckError | undefined;

  static fromKubeconfig(options: LiveClusterSourceOptions = {}): LiveClusterSource {
    const kc = new KubeConfig();
    try {
      if (options.kubeconfigYaml !== undefined) kc.loadFromString(options.kubeconfigYaml);
      else if (options.kubeconfigPath !== undefined) loadFiles(kc, options.kubeconfigPath);
      else kc.loadFromDefault();
    } catch (err) {
      const from =
        options.kubeconfigYaml !== undefined
          ? 'the kubeconfig given'
          : (options.kubeconfigPath ?? '~/.kube/config');
      const why = err instanceof Error ? err.message : String(err);
      throw new JwtcheckError('config', `Cannot load the kubeconfig from ${from}: ${why}. Fix the file or set KUBECONFIG to a valid one.`, {
        cause: err,
      });
    }
    if (options.context !== undefined) {
      if (kc.getContextObject(options.context) === null) {
        const known = kc.getContexts().map((c) => c.name);
        throw new JwtcheckError(
          'config',
          `No context "${options.context}" in your kubeconfig; contexts: ${known.length > 0 ? known.join(', ') : '(none)'}.`,
        );
      }
      kc.setCurrentContext(options.context);
    }
    const current = kc.getCurrentContext();
    if (current === FALLBACK_CONTEXT && kc.getCurrentCluster()?.server === 'http://localhost:8080') {
      throw new JwtcheckError(
        'config',
        'No Kubernetes configuration found: set KUBECONFIG (or create ~/.kube/config), pass --context, or run jwtcheck in a pod with a service account.',
      );
    }
    if (kc.getCurrentCluster() === null) {
      throw new JwtcheckError(
        'config',
        `The kube context "${current}" names no cluster in your kubeconfig: fix the context or choose another with --context.`,
      );
    }
    const name = current === IN_CLUSTER_CONTEXT ? 'in-cluster' : current;
    return new LiveClusterSource(kc, name, options.requestTimeoutMs ?? KUBE_REQUEST_TIMEOUT_MS);
  }

  constructor(kc: KubeConfig, name: string, requestTimeoutMs: number = KUBE_REQUEST_TIMEOUT_MS) {
    this.name = name;
    this.contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace || undefined;
    shareDispatchers(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.endpoint = { server: kc.getCurrentCluster()?.server ?? '(no server)', context: name, timeoutMs: requestTimeoutMs };
  }

  requestCount(): number {
    return this.requests;
  }

  async readService(namespace: string, name: string): Promise<KubeObject | undefined> {
    const call: KubeCall = { verb: 'get', resource: 'services', namespace, name };
    return this.readOrUndefined(call, async (opts) =>
      withKind(toPlain(await this.core.readNamespacedService({ name, namespace }, opts)), 'v1', 'Service'),
    );
  }

  async readNamespace(name: string): Promise<KubeObject | undefined> {
    const call: KubeCall = { verb: 'get', resource: 'namespaces', namespace: name, name };
    return this.readOrUndefined(call, async (opts) =>
      withKind(toPlain(await this.core.readNamespace({ name }, opts)), 'v1', 'Namespace'),
    );
  }

  async listServiceNames(namespace: string): Promise<string[]> {
    const call: KubeCall = { verb: 'list', resource: 'services', namespace };
    const list = await this.run(call, (opts) =>
      this.core.listNamespacedService({ namespace, limit: SERVICE_NAMES_LIMIT }, opts),
    );
    return list.items.map((s) => s.metadata?.name).filter((n): n is string => typeof n === 'string');
  }

  async listPods(namespace: string, labelSelector: string, limit: number): Promise<KubeObject[]> {
    const call: KubeCall = { verb: 'list', resource: 'pods', namespace };
    const list = await this.run(call, (opts) =>
      this.core.listNamespacedPod(
        { namespace, limit, ...(labelSelector.trim() !== '' ? { labelSelector } : {}) },
        opts,
      ),
    );
    // The server omits kind/apiVersion on list items; YAML snapshots have them, so add them back.
    return list.items.map((pod) => withKind(toPlain(pod), 'v1', 'Pod'));
  }

  async listCustomObjects(
    group: string,
    versions: readonly string[],
    plural: string,
    namespace?: string,
  ): Promise<KubeObject[] | undefined> {
    const call: KubeCall = { verb: 'list', resource: `${plural}.${group}`, ...(namespace !== undefined ? { namespace } : {}) };
    for (const version of versions) {
      try {
        const list: unknown = await this.send(call, (opts) =>
          namespace === undefined
            ? this.custom.listClusterCustomObject({ group, version, plural }, opts)
            : this.custom.listNamespacedCustomObject({ group, version, namespace, plural }, opts),
        );
        const items = (list as { items?: unknown }).items;
        if (!Array.isArray(items)) return [];
        return items.map((item) => withKind(item as KubeObject, `${group}/${version}`, undefined));
      } catch (err) {
        // 404 here means this group/version or kind is not served: try the next version. Only here:
        // for core reads a 404 is an answer about the object, not about the API.
        if (isApiStatus(err, 404)) continue;
        throw this.failure(err, call);
      }
    }
    return undefined;
  }

  async readPodLog(namespace: string, pod: string, container: string, options: LogReadOptions): Promise<string> {
    const call: KubeCall = { verb: 'get', resource: 'pods/log', namespace, name: pod };
    try {
      const text: unknown = await this.send(call, (opts) =>
        this.core.readNamespacedPodLog(
          { name: pod, namespace, container, tailLines: options.tailLines, limitBytes: options.limitBytes },
          opts,
        ),
      );
      return typeof text === 'string' ? text : '';
    } catch (err) {
      if (isApiStatus(err, 404)) {
        throw new JwtcheckError('not-found', `Pod ${pod} in namespace ${namespace} no longer exists, so its ${container} log cannot be read: run the diagnosis again.`, {
          cause: err,
        });
      }
      if (isApiStatus(err, 400)) {
        // e.g. "container istio-proxy is not valid for pod x": nothing to read, not a failure of jwtcheck.
        throw new JwtcheckError('unavailable', `Pod ${pod} in namespace ${namespace} has no ${container} log to read (the API server refused: ${badRequestMessage(err)}).`, {
          cause: err,
        });
      }
      throw this.failure(err, call);
    }
  }

  // ------------------------------------------------------------------ plumbing

  /** The shared deadline + counting, as call-time middleware (it must return the client's Observable). */
  private options(): ConfigurationOptions {
    const middleware: ObservableMiddleware = {
      pre: (ctx: RequestContext) => {
        this.requests += 1;
        ctx.setSignal(this.deadlineSignal());
        return new Observable(Promise.resolve(ctx));
      },
      post: (rsp: ResponseContext) => new Observable(Promise.resolve(rsp)),
    };
    return { middleware: [middleware], middlewareMergeStrategy: 'append' };
  }

  private deadlineSignal(): AbortSignal {
    if (this.deadline === undefined) {
      this.deadline = AbortSignal.timeout(this.endpoint.timeoutMs);
      // The calls still waiting at that moment are the ones to name.
      this.deadline.addEventListener('abort', () => (this.deadlineError = this.deadlineSentence([...this.pending])), { once: true });
    }
    return this.deadline;
  }

  private deadlineSentence(calls: KubeCall[]): JwtcheckError {
    const named = calls.slice(0, NAMED_PENDING_CALLS).map(describeCall);
    const more = calls.length > named.length ? ` and ${calls.length - named.length} more` : '';
    const waiting = named.length > 0 ? ` (still waiting for ${named.join(', ')}${more})` : '';
    return new JwtcheckError(
      'timeout',
      `The Kubernetes API at ${this.endpoint.server} did not answer within ${formatSeconds(this.endpoint.timeoutMs)}${waiting}: check the cluster's health and your network, or allow more time with --timeout or JWTCHECK_KUBE_TIMEOUT_MS.`,
    );
  }

  /** A request stopped by the shared deadline gets the one deadline sentence; anything else is mapped as usual. */
  private failure(err: unknown, call: KubeCall): JwtcheckError {
    if (this.deadline?.aborted === true && isTimeout(err)) return this.deadlineError ?? this.deadlineSentence([call]);
    return toKubeError(err, call, this.endpoint);
  }

  /** Unmapped: for callers that treat some statuses as answers before mapping the rest. */
  private async send<T>(call: KubeCall, fn: (opts: ConfigurationOptions) => Promise<T>): Promise<T> {
    this.pending.add(call);
    try {
      return await fn(this.options());
    } finally {
      this.pending.delete(call);
    }
  }

  private async run<T>(call: KubeCall, fn: (opts: ConfigurationOptions) => Promise<T>): Promise<T> {
    try {
      return await this.send(call, fn);
    } catch (err) {
      throw this.failure(err, call);
    }
  }

  private async readOrUndefined<T>(call: KubeCall, fn: (opts: ConfigurationOptions) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.send(call, fn);
    } catch (err) {
      if (isApiStatus(err, 404)) return undefined;
      throw this.failure(err, call);
    }
  }
}

function badRequestMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body !== 'string') return 'bad request';
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : body.trim();
  } catch {
    return body.trim();
  }
}

function withKind(object: KubeObject, apiVersion: string, kind: string | undefined): KubeObject {
  return {
    ...object,
    apiVersion: object.apiVersion ?? apiVersion,
    ...(kind !== undefined || object.kind !== undefined ? { kind: object.kind ?? kind } : {}),
  };
}

/**
 * Client models are class instances with Date fields and a few renamed properties (`_continue`,
 * `_from`, `_default`: reserved words get a `_`). Downstream code reads YAML-shaped objects, so turn
 * them back into plain JSON: dates as RFC 3339 strings, undefined fields dropped, names restored.
 * Maps (labels, annotations) are plain objects and keep their keys as they are.
 */
export function toPlain(value: unknown): KubeObject {
  return plain(value) as KubeObject;
}

function plain(value: unknown): unknown {
  if (Object.prototype.toString.call(value) === '[object Date]') return (value as Date).toISOString().replace('.000Z', 'Z');
  if (Array.isArray(value)) return value.map(plain);
  if (value === null || typeof value !== 'object') return value;
  // By constructor name, not identity: under Jest's VM, Object.prototype differs between realms.
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
  const isModel = proto !== null && proto.constructor?.name !== 'Object';
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (inner === undefined) continue;
    out[isModel && key.startsWith('_') ? key.slice(1) : key] = plain(inner);
  }
  return out;
}

/** KUBECONFIG may list several files (":" on Unix), merged in order as kubectl does; empty entries are skipped. */
function loadFiles(kc: KubeConfig, list: string): void {
  const files = list.split(delimiter).filter((f) => f.length > 0);
  const [first, ...rest] = files;
  if (first === undefined) return kc.loadFromDefault();
  kc.loadFromFile(first);
  for (const file of rest) {
    const next = new KubeConfig();
    next.loadFromFile(file);
    kc.mergeConfig(next, true);
  }
}
