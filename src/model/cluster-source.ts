import type { KubeObject } from './index.js';

export interface LogReadOptions {
  tailLines: number;
  limitBytes: number;
}

/**
 * Read-only access to one cluster, live (Kubernetes API) or from a snapshot (YAML + log files).
 * Every method either resolves or throws a JwtcheckError whose code says why
 * (forbidden, timeout, unreachable, …) and whose message a user can act on.
 */
export interface ClusterSource {
  /** Shown as target.cluster: the kube context name, or "snapshot". */
  readonly name: string;
  /** undefined when the Service does not exist (404). */
  readService(namespace: string, name: string): Promise<KubeObject | undefined>;
  /** Names only: used to suggest near names when the Service is not found. */
  listServiceNames(namespace: string): Promise<string[]>;
  /** undefined when the namespace does not exist. */
  readNamespace(name: string): Promise<KubeObject | undefined>;
  /** `labelSelector` in Kubernetes syntax (`app=httpbin,version=v1`); at most `limit` pods. */
  listPods(namespace: string, labelSelector: string, limit: number): Promise<KubeObject[]>;
  /**
   * Custom objects of the first served version in `versions` (e.g. ['v1', 'v1beta1']).
   * `namespace` undefined = cluster-scoped kind. Resolves undefined when the API group or kind is
   * not served at all (CRD not installed) — that is an answer, not an error.
   */
  listCustomObjects(
    group: string,
    versions: readonly string[],
    plural: string,
    namespace?: string,
  ): Promise<KubeObject[] | undefined>;
  /** Text of the last lines of one container's log. */
  readPodLog(namespace: string, pod: string, container: string, options: LogReadOptions): Promise<string>;
  /** Requests sent to the cluster so far (live) or 0 (snapshot). */
  requestCount(): number;
}
