import type { ClusterSource } from './model/cluster-source.js';
import type { DocumentFetcher } from './model/document-fetcher.js';
import type { CheckResult } from './engine/check.js';
import type { Report } from './engine/report.js';
import { CHECKS } from './checks/index.js';
import { collectEvidence, type EvidencePromises } from './evidence/collect.js';
import { EVIDENCE_SLOTS, type Evidence, type Target } from './model/index.js';
import { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_LOG_LINES, DEFAULT_ROOT_NAMESPACE, type ProxySettings } from './config.js';
import type { Check, CheckContext } from './engine/check.js';
import { runCheck } from './engine/run-checks.js';
import { buildRefusalTimeline } from './istio/refusal-timeline.js';
import { REPORT_VERSION, countStatuses, decideVerdict } from './engine/report.js';

export interface DiagnoseProgress {
  done: number;
  total: number;
}

export interface DiagnoseOptions {
  target: Target;
  source: ClusterSource;
  /** Issuer documents; the live guarded fetcher by default. */
  fetcher?: DocumentFetcher;
  /** The raw token, if the user gave one. It goes to src/token only and is never stored in the report. */
  token?: string;
  rootNamespace?: string;
  /** Log tail per container (JWTCHECK_LOG_LINES). */
  logLines?: number;
  fetchTimeoutMs?: number;
  now?: Date;
  /** Judge token times at this instant instead of now: a replayed snapshot's capture time. */
  judgeAt?: Date;
  /** HTTP(S)_PROXY / NO_PROXY for the default issuer fetcher (config.proxy). */
  proxy?: ProxySettings;
  /** Called as each check result becomes known (live progress); order is not guaranteed. */
  onResult?: (result: CheckResult, progress: DiagnoseProgress) => void;
  signal?: AbortSignal;
}

export type Diagnose = (options: DiagnoseOptions) => Promise<Report>;

export const CLOCK_SKEW_SECONDS = 60;

/**
 * One diagnosis: gather the evidence, run each check the moment its inputs are known (so progress is
 * live), and assemble the report in catalogue order. Never throws for a problem in the cluster or the
 * token: those become results.
 */
export async function diagnose(options: DiagnoseOptions, checks: readonly Check[] = CHECKS): Promise<Report> {
  const startedAt = options.now ?? new Date();
  const started = performance.now();
  const promises = collectEvidence({
    target: options.target,
    source: options.source,
    fetcher: options.fetcher ?? (await defaultFetcher(options.fetchTimeoutMs, options.proxy)),
    rawToken: options.token,
    rootNamespace: options.rootNamespace ?? DEFAULT_ROOT_NAMESPACE,
    logLines: options.logLines ?? DEFAULT_LOG_LINES,
  });
  const ctx: CheckContext = { now: options.judgeAt ?? startedAt, clockSkewSeconds: CLOCK_SKEW_SECONDS, target: options.target };
  const total = checks.length;
  let done = 0;
  const perCheck = await Promise.all(
    checks.map(async (check) => {
      const evidence = await evidenceFor(check, promises);
      const results = runCheck(check, evidence, ctx);
      done += 1;
      for (const r of results) options.onResult?.(r, { done, total });
      return results;
    }),
  );
  const results = perCheck.flat();
  const timeline = buildRefusalTimeline({
    proxyLogs: await promises.proxyLogs,
    policies: await promises.policies,
    pods: await promises.pods,
    istiodLogs: await promises.istiodLogs,
    issuers: await promises.issuers,
    token: await promises.tokenVerified,
  });
  return {
    version: REPORT_VERSION,
    target: options.target,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    verdict: decideVerdict(results),
    checks: results,
    counts: countStatuses(results),
    tokenFingerprint: promises.tokenDecoded.fingerprint,
    ...(timeline ? { timeline } : {}),
    ...(options.judgeAt ? { judgedAt: options.judgeAt.toISOString() } : {}),
  };
}

/** The live guarded fetcher, loaded only when used: undici is most of the code an offline replay would load. */
async function defaultFetcher(timeoutMs = DEFAULT_FETCH_TIMEOUT_MS, proxy?: ProxySettings): Promise<DocumentFetcher> {
  const { GuardedFetcher } = await import('./evidence/guarded-fetch.js');
  return new GuardedFetcher({ timeoutMs, ...(proxy ? { proxy } : {}) });
}

/**
 * The evidence a check sees: the slots it declared, awaited. Reading any other slot throws, so a check
 * that reads what it did not declare fails loudly (as an `error` result) instead of racing.
 */
async function evidenceFor(check: Check, promises: EvidencePromises): Promise<Evidence> {
  // The signature outcomes come with the key sets: a check that reads them (needs or uses 'issuers') waits for them.
  const wantsKeys = check.needs.includes('issuers') || check.uses?.includes('issuers') === true;
  const token = wantsKeys ? await promises.tokenVerified : promises.tokenDecoded;
  const evidence: Record<string, unknown> = { target: promises.target, token };
  for (const name of EVIDENCE_SLOTS) {
    if (check.needs.includes(name) || check.uses?.includes(name)) {
      evidence[name] = await promises[name];
    } else {
      Object.defineProperty(evidence, name, {
        enumerable: false,
        get() {
          throw new Error(`${check.id} reads "${name}" but does not list it in needs (or uses)`);
        },
      });
    }
  }
  return evidence as unknown as Evidence;
}
