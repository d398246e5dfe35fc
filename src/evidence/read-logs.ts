/**
 * Fills the `proxyLogs` and `istiodLogs` slots: bounded tails of the workload's istio-proxy containers and of
 * the istiod (or Pilot) pod of its revision, summarised at once so the raw text goes no further.
 */
import { summariseProxyLog } from '../istio/logs/proxy-log.js';
import { scanIstiodLog } from '../istio/logs/istiod-log.js';
import type { ClusterSource } from '../model/cluster-source.js';
import { missing, present, type IstiodLogEvidence, type PodInfo, type ProxyLogEvidence, type Slot } from '../model/index.js';
import { settle } from './slots.js';

export const MAX_PODS_LOGGED = 3;
export const PROXY_LOG_LIMIT_BYTES = 512 * 1024;
export const ISTIOD_LOG_LINES_FACTOR = 4;
export const ISTIOD_LOG_LIMIT_BYTES = 1024 * 1024;
const PROXY_CONTAINER = 'istio-proxy';
const ISTIOD_CONTAINER = 'discovery';

export async function readProxyLogs(
  source: ClusterSource,
  namespace: string,
  pods: PodInfo[],
  logLines: number,
): Promise<Slot<ProxyLogEvidence>> {
  const withProxy = pods
    .filter((p) => p.containers.includes(PROXY_CONTAINER) || p.initContainers.includes(PROXY_CONTAINER))
    .sort((a, b) => Number(b.ready) - Number(a.ready))
    .slice(0, MAX_PODS_LOGGED);
  if (withProxy.length === 0) {
    return missing('unavailable', 'No pod of the service runs an istio-proxy container, so there is no proxy log to read.');
  }
  const reads = await Promise.all(
    withProxy.map(async (p) => ({
      pod: p.name,
      slot: await settle(() =>
        source.readPodLog(namespace, p.name, PROXY_CONTAINER, { tailLines: logLines, limitBytes: PROXY_LOG_LIMIT_BYTES }),
      ),
    })),
  );
  const read = reads.filter((r) => r.slot.ok);
  const podErrors = reads.flatMap((r) => (r.slot.ok ? [] : [{ pod: r.pod, error: r.slot.error }]));
  if (read.length === 0 && podErrors[0]) return { ok: false, error: podErrors[0].error };
  const text = read.map((r) => (r.slot.ok ? r.slot.value : '')).join('\n');
  const { access, jwtConfig } = summariseProxyLog(text);
  return present({ pods: read.map((r) => r.pod), podErrors, access, jwtConfig });
}

/** One read (request budget), of the pod istioInfoFromPods picked: same revision as the workload, Running, Ready. */
export async function readIstiodLog(
  source: ClusterSource,
  rootNamespace: string,
  pod: string | undefined,
  logLines: number,
): Promise<Slot<IstiodLogEvidence>> {
  if (!pod) {
    return missing('unavailable', `No istiod pod found in ${rootNamespace} (managed control plane, or another root namespace: set ISTIO_ROOT_NAMESPACE).`);
  }
  const text = await source.readPodLog(rootNamespace, pod, ISTIOD_CONTAINER, {
    tailLines: logLines * ISTIOD_LOG_LINES_FACTOR,
    limitBytes: ISTIOD_LOG_LIMIT_BYTES,
  });
  return present({ pod, ...scanIstiodLog(text) });
}

