/**
 * Benchmark 1: wall time of one live diagnosis against its critical path. The real `diagnose` runs with a
 * LiveClusterSource against the fake Kubernetes API (20 ms injected per request) and the jose OIDC issuer
 * (20 ms per request), so the lower bound is (longest chain of reads that must happen one after another) × 20 ms.
 *
 * The chains, from src/evidence/collect.ts (issuer keys are prefetched as soon as the Service and the
 * RequestAuthentication lists are known, src/evidence/prefetch-keys.ts):
 *   get service ─▶ list pods (needs the selector) ─▶ proxy logs                          = 3 hops
 *   list RequestAuthentications ─▶ issuer discovery ─▶ JWKS (discovery's jwks_uri)          = 3 hops
 *   list RequestAuthentications ─▶ JWKS (rule with jwksUri)                                 = 2 hops
 * so the lower bound is 3 × 20 ms = 60 ms in both cases.
 * Everything else (namespace, istiod pods → istiod log, RA/AP lists in two namespaces, legacy lists) runs
 * beside it and is at most 2 hops deep.
 * Baseline, in the same run and interleaved run by run: the bare request chain — the critical path's
 * Kubernetes requests alone (get service → list pods → one proxy log), one after another, with plain
 * fetch + JSON.parse over a keep-alive connection. Goal: diagnosis ≤ 1.3× that chain (issue 12).
 */
import { diagnose } from '../src/diagnose.js';
import { GuardedFetcher } from '../src/evidence/guarded-fetch.js';
import { LiveClusterSource } from '../src/evidence/kube-live.js';
import { DEFAULT_LOG_LINES } from '../src/config.js';
import { MAX_PODS_LISTED } from '../src/evidence/collect.js';
import { PROXY_LOG_LIMIT_BYTES } from '../src/evidence/read-logs.js';
import { ROOT_NAMESPACE, TARGET, targetPodName } from './cluster-fixture.js';
import type { ServerProcess } from './server-process.js';
import { Timeline, timedFetcher, timedSource } from './timeline.js';

export const INJECTED_LATENCY_MS = 20;
export const RUNS = 20;
const WARMUP_RUNS = 2;
const REQUEST_TIMEOUT_MS = 5_000;
const FETCH_TIMEOUT_MS = 5_000;
export const GOAL_RATIO = 1.5;
export const GOAL_CHAIN_RATIO = 1.3;

export interface DiagnosisTimeResult {
  keysVia: 'discovery' | 'jwksUri';
  runs: number;
  injectedLatencyMs: number;
  criticalPathHops: number;
  lowerBoundMs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  ratio: number;
  goalMet: boolean;
  /**
   * The same chain(s) with each request measured alone (sequential, nothing else running, median of 7):
   * what the injected latency really costs per hop here (client + fake server + loopback transfer).
   */
  calibratedBoundMs: number;
  calibratedRatio: number;
  /** The bare request chain, median over runs interleaved with the diagnoses. */
  bareChainMs: number;
  /** Median of per-run ratios diagnosis / bare chain. */
  chainRatio: number;
  chainGoalMet: boolean;
  soloMs: Record<string, number>;
  kubeRequestsPerDiagnosis: number;
  issuerRequestsPerDiagnosis: number;
  verdict: string;
  /** Request timeline of the median run. */
  timeline: string;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

export async function benchDiagnosisTime(servers: ServerProcess, keysVia: 'discovery' | 'jwksUri'): Promise<DiagnosisTimeResult> {
  const ready = await servers.start(
    { pods: 10, targetPods: 3, policies: 4, keysVia, proxyLogLines: 600 },
    INJECTED_LATENCY_MS,
    INJECTED_LATENCY_MS,
  );
  const runs: { ms: number; chainMs: number; kube: number; issuerRequests: number; verdict: string; timeline: string }[] = [];
  const chain = bareChain(ready.kubeconfigYaml);
  for (let i = 0; i < WARMUP_RUNS + RUNS; i += 1) {
    const timeline = new Timeline();
    const live = LiveClusterSource.fromKubeconfig({ kubeconfigYaml: ready.kubeconfigYaml, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    const fetcher = new GuardedFetcher({ timeoutMs: FETCH_TIMEOUT_MS });
    const started = performance.now();
    const report = await diagnose({
      target: TARGET,
      source: timedSource(live, timeline),
      fetcher: timedFetcher(fetcher, timeline),
      token: ready.token,
      rootNamespace: ROOT_NAMESPACE,
    });
    const ms = performance.now() - started;
    await fetcher.close();
    const chainMs = await chain();
    const seen = await servers.takeRequests();
    if (i >= WARMUP_RUNS) {
      runs.push({
        ms,
        chainMs,
        kube: live.requestCount(),
        issuerRequests: seen.issuer.length,
        verdict: `${report.verdict.status}${report.verdict.checkId ? ` (${report.verdict.checkId})` : ''}`,
        timeline: timeline.format(),
      });
    }
  }
  const soloMs = await measureSolo(ready.kubeconfigYaml, ready.issuer, keysVia);
  const viaKube = (soloMs['get service'] ?? 0) + (soloMs['list pods'] ?? 0);
  const keysChain = keysVia === 'discovery' ? (soloMs['fetch discovery'] ?? 0) + (soloMs['fetch jwks'] ?? 0) : (soloMs['fetch jwks'] ?? 0);
  const calibratedBoundMs = viaKube + Math.max(keysChain, soloMs['read proxy log'] ?? 0);
  const byTime = [...runs].sort((a, b) => a.ms - b.ms);
  const sorted = byTime.map((r) => r.ms);
  const hops = 3;
  const lowerBoundMs = hops * INJECTED_LATENCY_MS;
  const medianMs = quantile(sorted, 0.5);
  const median = byTime[Math.floor((byTime.length - 1) / 2)];
  const chainRatio = quantile(runs.map((r) => r.ms / r.chainMs).sort((a, b) => a - b), 0.5);
  return {
    keysVia,
    runs: runs.length,
    injectedLatencyMs: INJECTED_LATENCY_MS,
    criticalPathHops: hops,
    lowerBoundMs,
    medianMs,
    p90Ms: quantile(sorted, 0.9),
    minMs: sorted[0] ?? NaN,
    maxMs: sorted.at(-1) ?? NaN,
    ratio: medianMs / lowerBoundMs,
    goalMet: medianMs / lowerBoundMs <= GOAL_RATIO,
    calibratedBoundMs,
    calibratedRatio: medianMs / calibratedBoundMs,
    bareChainMs: quantile(runs.map((r) => r.chainMs).sort((a, b) => a - b), 0.5),
    chainRatio,
    chainGoalMet: chainRatio <= GOAL_CHAIN_RATIO,
    soloMs,
    kubeRequestsPerDiagnosis: median?.kube ?? 0,
    issuerRequestsPerDiagnosis: median?.issuerRequests ?? 0,
    verdict: median?.verdict ?? '',
    timeline: median?.timeline ?? '',
  };
}

const SOLO_REPEATS = 7;

async function medianOf(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < SOLO_REPEATS; i += 1) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return quantile(times.sort((a, b) => a - b), 0.5);
}

async function measureSolo(kubeconfigYaml: string, issuer: string, keysVia: 'discovery' | 'jwksUri'): Promise<Record<string, number>> {
  const live = LiveClusterSource.fromKubeconfig({ kubeconfigYaml, requestTimeoutMs: REQUEST_TIMEOUT_MS });
  const out: Record<string, number> = {};
  out['get service'] = await medianOf(() => live.readService(TARGET.namespace, TARGET.service));
  out['list pods'] = await medianOf(() => live.listPods(TARGET.namespace, `app=${TARGET.service}`, MAX_PODS_LISTED));
  out['read proxy log'] = await medianOf(() =>
    live.readPodLog(TARGET.namespace, targetPodName(0), 'istio-proxy', { tailLines: DEFAULT_LOG_LINES, limitBytes: PROXY_LOG_LIMIT_BYTES }),
  );
  // A fresh fetcher per request: the guarded fetcher caches per URL (one fetch per diagnosis).
  const fetchOnce = (url: string) => async () => {
    const fetcher = new GuardedFetcher({ timeoutMs: FETCH_TIMEOUT_MS });
    await fetcher.fetch(url);
    await fetcher.close();
  };
  if (keysVia === 'discovery') out['fetch discovery'] = await medianOf(fetchOnce(`${issuer}/.well-known/openid-configuration`));
  out['fetch jwks'] = await medianOf(fetchOnce(`${issuer}/protocol/openid-connect/certs`));
  return out;
}

/** The critical path's Kubernetes requests alone, one after another: plain fetch + JSON.parse, kept alive. */
function bareChain(kubeconfigYaml: string): () => Promise<number> {
  const server = /server: (\S+)/.exec(kubeconfigYaml)?.[1] ?? '';
  const token = /token: (\S+)/.exec(kubeconfigYaml)?.[1] ?? '';
  const get = async (path: string): Promise<string> => {
    const res = await fetch(`${server}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`bare chain: ${path} answered ${res.status}`);
    return res.text();
  };
  const ns = TARGET.namespace;
  return async () => {
    const started = performance.now();
    const service = JSON.parse(await get(`/api/v1/namespaces/${ns}/services/${TARGET.service}`)) as { spec?: { selector?: Record<string, string> } };
    const selector = Object.entries(service.spec?.selector ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = JSON.parse(await get(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}&limit=${MAX_PODS_LISTED}`)) as { items: { metadata: { name: string } }[] };
    const first = pods.items[0]?.metadata.name ?? '';
    await get(`/api/v1/namespaces/${ns}/pods/${first}/log?container=istio-proxy&tailLines=${DEFAULT_LOG_LINES}&limitBytes=${PROXY_LOG_LIMIT_BYTES}`);
    return performance.now() - started;
  };
}
