/**
 * Which Istio data plane serves the workload, because that decides what can enforce JWT at all
 * (ISTIO-JWT §2.1, §2.3, §7 cause 14): a sidecar enforces selector-based policies; in ambient mode
 * ztunnel cannot enforce JWT and only a waypoint can, and a waypoint only takes `targetRefs` policies.
 */
import type { NamespaceInfo, PodInfo, ServiceInfo } from './model.js';

export const PROXY_CONTAINER = 'istio-proxy';
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
/** A waypoint in another namespace (istio.io ambient docs, "Use a waypoint in a different namespace"). */
export const USE_WAYPOINT_NAMESPACE_LABEL = 'istio.io/use-waypoint-namespace';
const INJECTION_LABEL = 'istio-injection';
const REVISION_LABEL = 'istio.io/rev';

export interface DataPlaneMode {
  mode: 'sidecar' | 'ambient' | 'none';
  /** Name of the waypoint (ambient only); absent when none is configured or the label says `none`. */
  waypoint?: string;
  /** Namespace of that waypoint: the use-waypoint-namespace label, else the labelled object's namespace. */
  waypointNamespace?: string;
  reason: string;
}

export function dataPlaneMode(ns: NamespaceInfo, pods: PodInfo[], service?: ServiceInfo): DataPlaneMode {
  const withProxy = pods.filter((p) => hasSidecar(p));
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

/** The Service's label wins over the namespace's (a Service can opt out with `none`). */
function waypointOf(ns: NamespaceInfo, service: ServiceInfo | undefined): Pick<DataPlaneMode, 'waypoint' | 'waypointNamespace'> {
  const fromService = service?.labels[USE_WAYPOINT_LABEL];
  const holder = fromService !== undefined ? service?.labels ?? {} : ns.labels;
  const name = fromService ?? ns.labels[USE_WAYPOINT_LABEL];
  if (name === undefined || name === '' || name === 'none') return {};
  const home = fromService !== undefined ? service?.namespace || ns.name : ns.name;
  return { waypoint: name, waypointNamespace: holder[USE_WAYPOINT_NAMESPACE_LABEL] ?? home };
}
