/**
 * Which Istio data plane serves the workload, because that decides what can enforce JWT at all
 * (ISTIO-JWT §2.1, §2.3, §7 cause 14): a sidecar enforces selector-based policies; in ambient mode
 * ztunnel cannot enforce JWT and only a waypoint can, and a waypoint only takes `targetRefs` policies.
 * A gateway is an Envoy of its own (istio-proxy running `proxy router`): a classic one (istio-ingressgateway)
 * takes selector-based policies like a sidecar; a Gateway API one takes `targetRefs` naming its Gateway,
 * and a selector matching its pods is ineffective (istioctl analyze IST0166).
 */
import type { NamespaceInfo, PodInfo, ServiceInfo } from '../model/index.js';

export const PROXY_CONTAINER = 'istio-proxy';
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
/** A waypoint in another namespace (istio.io ambient docs, "Use a waypoint in a different namespace"). */
export const USE_WAYPOINT_NAMESPACE_LABEL = 'istio.io/use-waypoint-namespace';
const INJECTION_LABEL = 'istio-injection';
const REVISION_LABEL = 'istio.io/rev';
/** Set by Istio on the pods it deploys for a Gateway API Gateway (1.22+; `istio.io/gateway-name` before). */
export const GATEWAY_NAME_LABELS = ['gateway.networking.k8s.io/gateway-name', 'istio.io/gateway-name'] as const;
/** `istio: ingressgateway` / `egressgateway` / `eastwestgateway`: the labels classic gateways carry and Gateways select. */
const CLASSIC_GATEWAY_LABEL = 'istio';
/** Injection template annotation of gateways deployed by injection (istio/gateway Helm chart). */
const INJECT_TEMPLATES_ANNOTATION = 'inject.istio.io/templates';

export interface GatewayProxy {
  /** `gateway-api`: deployed for a Gateway API Gateway (bind policies with targetRefs); `classic`: istio-ingressgateway & co. */
  kind: 'gateway-api' | 'classic';
  /** The Gateway API Gateway the pod serves (gateway-api only). */
  gateway?: string;
  /** How it was recognised, for reasons. */
  via: string;
}

export interface DataPlaneMode {
  mode: 'sidecar' | 'ambient' | 'gateway' | 'none';
  /** Gateway mode: what kind of gateway, and for Gateway API ones the Gateway names (one per distinct label value). */
  gateway?: { kind: GatewayProxy['kind']; names: string[] };
  /** Name of the waypoint (ambient only); absent when none is configured or the label says `none`. */
  waypoint?: string;
  /** Namespace of that waypoint: the use-waypoint-namespace label, else the labelled object's namespace. */
  waypointNamespace?: string;
  reason: string;
}

export function dataPlaneMode(ns: NamespaceInfo, pods: PodInfo[], service?: ServiceInfo): DataPlaneMode {
  const withProxy = pods.filter((p) => hasSidecar(p));
  const gateways = withProxy.flatMap((p) => {
    const g = gatewayProxy(p);
    return g ? [{ pod: p, ...g }] : [];
  });
  if (gateways.length > 0 && gateways.length === withProxy.length) {
    const apiManaged = gateways.filter((g) => g.kind === 'gateway-api');
    const kind = apiManaged.length > 0 ? 'gateway-api' : 'classic';
    const names = [...new Set(apiManaged.flatMap((g) => (g.gateway ? [g.gateway] : [])))];
    const first = gateways[0];
    const what = kind === 'gateway-api' ? `Gateway API gateway ${names.join(', ')}` : 'classic Istio gateway';
    return {
      mode: 'gateway',
      gateway: { kind, names },
      reason: `${gateways.length} of ${pods.length} pod(s) are a ${what} (e.g. ${first?.pod.name ?? ''}: ${first?.via ?? ''})`,
    };
  }
  if (withProxy.length > 0) {
    const first = withProxy[0]?.name ?? '';
    const native = withProxy.every((p) => !p.containers.includes(PROXY_CONTAINER));
    return {
      mode: 'sidecar',
      reason: `${withProxy.length} of ${pods.length} pod(s) run an ${PROXY_CONTAINER} ${native ? 'native sidecar (init container)' : 'container'} (e.g. ${first})`,
    };
  }

  const nsAmbient = ns.labels[DATAPLANE_MODE_LABEL] === 'ambient';
  // A pod can opt in alone, or opt out of an ambient namespace with `istio.io/dataplane-mode: none`.
  const ambientPods = pods.filter(
    (p) => p.labels[DATAPLANE_MODE_LABEL] === 'ambient' || (nsAmbient && p.labels[DATAPLANE_MODE_LABEL] !== 'none'),
  );
  const ambient = pods.length > 0 ? ambientPods.length > 0 : nsAmbient;
  if (ambient) {
    const via = nsAmbient ? `namespace ${ns.name} is labelled ${DATAPLANE_MODE_LABEL}=ambient` : `pod ${ambientPods[0]?.name ?? ''} is labelled ${DATAPLANE_MODE_LABEL}=ambient`;
    const waypoint = waypointOf(ns, service);
    const wp = waypoint.waypoint
      ? `waypoint ${waypoint.waypoint} (${USE_WAYPOINT_LABEL} on the ${service?.labels[USE_WAYPOINT_LABEL] !== undefined ? 'Service' : 'namespace'})`
      : `no waypoint (no ${USE_WAYPOINT_LABEL} label, or it says none)`;
    return { mode: 'ambient', ...waypoint, reason: `${via} and no pod runs ${PROXY_CONTAINER}; ${wp}` };
  }

  if (pods.length === 0) {
    // Nothing runs, so judge on what new pods would get: an injection label means sidecars.
    const injected = ns.labels[INJECTION_LABEL] === 'enabled' || ns.labels[REVISION_LABEL] !== undefined;
    if (injected) {
      return { mode: 'sidecar', reason: `no pods: assumed sidecar because namespace ${ns.name} has an injection label` };
    }
    return { mode: 'none', reason: `no pods, and namespace ${ns.name} has neither an injection label nor ${DATAPLANE_MODE_LABEL}=ambient` };
  }
  return {
    mode: 'none',
    reason: `no pod runs an ${PROXY_CONTAINER} container and namespace ${ns.name} is not labelled ${DATAPLANE_MODE_LABEL}=ambient`,
  };
}

export function hasSidecar(pod: PodInfo): boolean {
  return pod.containers.includes(PROXY_CONTAINER) || pod.initContainers.includes(PROXY_CONTAINER);
}

/**
 * Whether the pod is an Istio gateway (its istio-proxy runs Envoy as `router`, not as a sidecar), and which kind.
 * Gateway API pods are known by their gateway-name label; classic ones by the container args when the reader kept
 * them, else by the injection template or the `istio: …gateway` label that Gateway resources select them by.
 */
export function gatewayProxy(pod: PodInfo): GatewayProxy | undefined {
  if (!pod.containers.includes(PROXY_CONTAINER)) return undefined;
  for (const label of GATEWAY_NAME_LABELS) {
    const name = pod.labels[label];
    if (name !== undefined && name !== '') return { kind: 'gateway-api', gateway: name, via: `label ${label}=${name}` };
  }
  const [first, second] = pod.proxyArgs ?? [];
  if (first === 'proxy') {
    return second === 'router' ? { kind: 'classic', via: `${PROXY_CONTAINER} runs proxy router` } : undefined;
  }
  const templates = pod.annotations[INJECT_TEMPLATES_ANNOTATION];
  if (templates !== undefined && templates.split(',').map((t) => t.trim()).includes('gateway')) {
    return { kind: 'classic', via: `annotation ${INJECT_TEMPLATES_ANNOTATION}=${templates}` };
  }
  const istioLabel = pod.labels[CLASSIC_GATEWAY_LABEL];
  if (istioLabel !== undefined && /gateway$/.test(istioLabel)) {
    return { kind: 'classic', via: `label ${CLASSIC_GATEWAY_LABEL}=${istioLabel}` };
  }
  return undefined;
}

/** The Service's label wins over the namespace's (a Service can opt out with `none`). */
function waypointOf(ns: NamespaceInfo, service: ServiceInfo | undefined): Pick<DataPlaneMode, 'waypoint' | 'waypointNamespace'> {
  const fromService = service?.labels[USE_WAYPOINT_LABEL];
  const holder = fromService !== undefined ? service?.labels ?? {} : ns.labels;
  const name = fromService ?? ns.labels[USE_WAYPOINT_LABEL];
  if (name === undefined || name === '' || name === 'none') return {};
  const home = fromService !== undefined ? service?.namespace || ns.name : ns.name;
  return { waypoint: name, waypointNamespace: holder[USE_WAYPOINT_NAMESPACE_LABEL] ?? home };
}
