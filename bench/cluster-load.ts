/**
 * Benchmark 2: Kubernetes requests and response bytes per diagnosis, small namespace vs a large one. What
 * should bound the bytes is the read plan's own limits (pods: label selector + limit 50; logs: tailLines and
 * limitBytes), not the namespace size; policy lists are read whole, so their bytes grow with the policy count.
 */
import { diagnose } from '../src/diagnose.js';
import { GuardedFetcher } from '../src/evidence/guarded-fetch.js';
import { LiveClusterSource } from '../src/evidence/kube-live.js';
import { ROOT_NAMESPACE, TARGET } from './cluster-fixture.js';
import type { ClusterShape } from './cluster-fixture.js';
import type { KubeRequestRecord, ServerProcess } from './server-process.js';

export const REQUEST_GOAL = 10;
const RUNS_PER_SHAPE = 3;

export interface LoadCase {
  name: string;
  shape: Omit<ClusterShape, 'issuer' | 'jwksUri'>;
}

export const LOAD_CASES: readonly LoadCase[] = [
  { name: '10 pods, 4 policies', shape: { pods: 10, targetPods: 3, policies: 4, keysVia: 'discovery', proxyLogLines: 5_000 } },
  { name: '5,000 pods, 500 policies', shape: { pods: 5_000, targetPods: 3, policies: 500, keysVia: 'discovery', proxyLogLines: 5_000 } },
  { name: '5,000 pods (200 behind the Service), 500 policies', shape: { pods: 5_000, targetPods: 200, policies: 500, keysVia: 'discovery', proxyLogLines: 5_000 } },
];

export interface RequestLine {
  request: string;
  status: number;
  bytes: number;
}

export interface ClusterLoadResult {
  name: string;
  objects: number;
  kubeRequests: number;
  /** As counted by LiveClusterSource.requestCount() (must equal kubeRequests). */
  clientCount: number;
  kubeBytes: number;
  /** Bytes by kind of read. */
  podListBytes: number;
  policyListBytes: number;
  logBytes: number;
  otherBytes: number;
  issuerRequests: number;
  durationMs: number;
  verdict: string;
  requests: RequestLine[];
}

function describe(r: KubeRequestRecord): string {
  const q = Object.entries(r.query)
    .filter(([k]) => ['labelSelector', 'limit', 'container', 'tailLines', 'limitBytes'].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${r.verb} ${r.resource} ${r.namespace || '(cluster)'}${q ? ` ?${q}` : ''}`;
}

export async function benchClusterLoad(servers: ServerProcess, load: LoadCase): Promise<ClusterLoadResult> {
  const ready = await servers.start(load.shape, 0, 0);
  let last: ClusterLoadResult | undefined;
  for (let i = 0; i < RUNS_PER_SHAPE; i += 1) {
    const live = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: ready.kubeconfigYaml, requestTimeoutMs: 30_000 });
    const fetcher = new GuardedFetcher();
    const started = performance.now();
    const report = await diagnose({ target: TARGET, source: live, fetcher, token: ready.token, rootNamespace: ROOT_NAMESPACE });
    const durationMs = performance.now() - started;
    await fetcher.close();
    const seen = await servers.takeRequests();
    const sum = (pick: (r: KubeRequestRecord) => boolean) => seen.kube.filter(pick).reduce((n, r) => n + r.bytes, 0);
    const isPodList = (r: KubeRequestRecord) => r.verb === 'list' && r.resource === 'pods';
    const isPolicyList = (r: KubeRequestRecord) => r.verb === 'list' && r.resource.includes('.istio.io');
    const isLog = (r: KubeRequestRecord) => r.resource === 'pods/log';
    last = {
      name: load.name,
      objects: ready.objects,
      kubeRequests: seen.kube.length,
      clientCount: live.requestCount(),
      kubeBytes: sum(() => true),
      podListBytes: sum(isPodList),
      policyListBytes: sum(isPolicyList),
      logBytes: sum(isLog),
      otherBytes: sum((r) => !isPodList(r) && !isPolicyList(r) && !isLog(r)),
      issuerRequests: seen.issuer.length,
      durationMs,
      verdict: `${report.verdict.status}${report.verdict.checkId ? ` (${report.verdict.checkId})` : ''}`,
      requests: seen.kube.map((r) => ({ request: describe(r), status: r.status, bytes: r.bytes })),
    };
  }
  if (!last) throw new Error('no run');
  return last;
}
