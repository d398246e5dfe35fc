import { delimiter } from 'node:path';
import { CoreV1Api, CustomObjectsApi, KubeConfig, Observable } from '@kubernetes/client-node';
import type { ConfigurationOptions, ObservableMiddleware, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { ClusterSource, LogReadOptions } from '../model/cluster-source.js';
import type { KubeObject } from '../model/index.js';
import { JwtcheckError } from '../errors.js';
import { isApiStatus, toKubeError } from './kube-errors.js';
import type { KubeCall, KubeEndpoint } from './kube-errors.js';

/**
 * The live ClusterSource: read-only calls through @kubernetes/client-node, configured like kubectl
 * (KUBECONFIG, ~/.kube/config, then in-cluster). Every request carries its own timeout (the client
 * has none, STACK §3) and is counted, so a diagnosis can prove it made a small fixed number of calls.
 */

export const KUBE_REQUEST_TIMEOUT_MS = 10_000;
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
        const list: unknown = await this.send((opts) =>
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
        throw toKubeError(err, call, this.endpoint);
      }
    }
    return undefined;
  }

  async readPodLog(namespace: string, pod: string, container: string, options: LogReadOptions): Promise<string> {
    const call: KubeCall = { verb: 'get', resource: 'pods/log', namespace, name: pod };
    try {
      const text: unknown = await this.send((opts) =>
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
      throw toKubeError(err, call, this.endpoint);
    }
  }

  // ------------------------------------------------------------------ plumbing

  /** Per-request timeout + counting, as call-time middleware (it must return the client's Observable). */
  private options(): ConfigurationOptions {
    const timeoutMs = this.endpoint.timeoutMs;
    const middleware: ObservableMiddleware = {
      pre: (ctx: RequestContext) => {
        this.requests += 1;
        ctx.setSignal(AbortSignal.timeout(timeoutMs));
        return new Observable(Promise.resolve(ctx));
      },
      post: (rsp: ResponseContext) => new Observable(Promise.resolve(rsp)),
    };
    return { middleware: [middleware], middlewareMergeStrategy: 'append' };
  }

  /** Unmapped: for callers that treat some statuses as answers before mapping the rest. */
  private send<T>(fn: (opts: ConfigurationOptions) => Promise<T>): Promise<T> {
    return fn(this.options());
  }

  private async run<T>(call: KubeCall, fn: (opts: ConfigurationOptions) => Promise<T>): Promise<T> {
    try {
      return await fn(this.options());
    } catch (err) {
      throw toKubeError(err, call, this.endpoint);
    }
  }

  private async readOrUndefined<T>(call: KubeCall, fn: (opts: ConfigurationOptions) => Promise<T>): Promise<T | undefined> {
    try {
      return await fn(this.options());
    } catch (err) {
      if (isApiStatus(err, 404)) return undefined;
      throw toKubeError(err, call, this.endpoint);
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
