// ---------------------------------------------------------------- Kubernetes objects

export type Labels = Record<string, string>;

/** A Kubernetes object as YAML/JSON has it (custom resources are read in this shape). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Labels;
    annotations?: Labels;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ServiceInfo {
  name: string;
  namespace: string;
  labels: Labels;
  /** undefined: the Service has no selector (Endpoints managed by hand, ExternalName). */
  selector: Labels | undefined;
  type?: string;
  ports: ServicePort[];
}

export interface ServiceLookup {
  /** undefined when the Service does not exist. */
  service: ServiceInfo | undefined;
  /** When not found: names in the namespace that look like a typo of the one asked for. */
  nearNames: string[];
}

/**
 * Set by the offline (--files) source on pods it makes from a workload's pod template, so checks can
 * tell that their running state is unknown: "<Kind>/<name>", e.g. "Deployment/httpbin".
 */
export const FROM_TEMPLATE_ANNOTATION = 'jwtcheck.io/from-template';

export interface PodInfo {
  name: string;
  namespace: string;
  labels: Labels;
  annotations: Labels;
  phase: string;
  ready: boolean;
  containers: string[];
  /** Native sidecars (Kubernetes 1.28+) run istio-proxy as an init container with restartPolicy Always. */
  initContainers: string[];
  /** e.g. CrashLoopBackOff, ImagePullBackOff for the first waiting container, if any. */
  waitingReason?: string;
  restarts: number;
  /**
   * `args` of the istio-proxy container, when the reader kept them: `proxy router …` is a gateway
   * (classic istio-ingressgateway or a Gateway API deployment), `proxy sidecar …` a sidecar.
   */
  proxyArgs?: string[];
  /** `status.startTime`: when the pod was scheduled and started (the refusal timeline's "pod started"). */
  startedAt?: string;
  /** The latest `state.running.startedAt` of a container that has restarted: when it last came back. */
  lastRestartAt?: string;
}

export interface NamespaceInfo {
  name: string;
  /** false when the namespace itself does not exist. */
  exists: boolean;
  labels: Labels;
}

export interface IstioVersion {
  major: number;
  minor: number;
  patch: number;
}

export interface IstioInfo {
  /** The istiod image tag as read (e.g. "1.22.3", "1.20.1-distroless"); undefined when unknown. */
  tag?: string;
  version?: IstioVersion;
  rootNamespace: string;
  /** istiod pods found (control plane may also live outside the root namespace: then empty). */
  istiodPods: string[];
  /** istiod environment variables that change JWT behaviour (PILOT_JWT_ENABLE_REMOTE_JWKS, …). */
  env: Labels;
  /**
   * The control-plane revision serving the workload (pod label / sidecar status / namespace label
   * `istio.io/rev`, else "default"); absent when it was not worked out.
   */
  revision?: string;
  /** The istiod pod `tag`/`version`/`env` were read from (and whose log is read): Running, Ready, same revision first. */
  istiodPod?: string;
}

