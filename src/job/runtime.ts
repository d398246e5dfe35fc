/**
 * Builds what the job handler needs from the config: the real engine, the live cluster source and the
 * guarded fetcher by default; tests replace any piece.
 */
import type { WebClient } from '@slack/web-api';
import type { Config } from '../config.js';
import type { DiagnosisRuntime } from './diagnosis-job.js';
import type { Diagnose } from '../diagnose.js';
import type { ClusterSource } from '../model/cluster-source.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import { GuardedFetcher } from '../evidence/guarded-fetch.js';
import { LiveClusterSource } from '../evidence/kube-live.js';
import type { Target } from '../model/index.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../metrics.js';
import { DEFAULT_CLUSTER } from '../lib/names.js';
import type { RecentDiagnosis } from '../render/home-view.js';
import { auditFields, auditVerdict, recentEntry, UNKNOWN_SOURCE, type JobEnd } from './audit.js';

export interface RuntimeOverrides {
  diagnose?: Diagnose;
  openSource?(target: Target): Promise<ClusterSource> | ClusterSource;
  createFetcher?(): DocumentFetcher;
  /** Kubeconfig text instead of KUBECONFIG (tests). */
  kubeconfigYaml?: string;
  /**
   * Which kube context serves a target. Default: the app (in-process) uses the context named like
   * `--cluster`; a worker serves one cluster with its default context (in-cluster service account).
   */
  kubeContextFor?(target: Target): string | undefined;
  progressIntervalMs?: number;
  /** Entry points: where a finished diagnosis is kept for App Home (Redis or memory). */
  remember?(user: string, entry: RecentDiagnosis): Promise<void>;
}

export function createDiagnosisRuntime(
  config: Readonly<Config>,
  client: WebClient,
  logger: Logger,
  encryptionKey: Buffer | undefined,
  metrics: Metrics | undefined,
  overrides: RuntimeOverrides = {},
): DiagnosisRuntime {
  const contextFor = overrides.kubeContextFor ?? ((t: Target) => (t.cluster === DEFAULT_CLUSTER ? undefined : t.cluster));
  return {
    client,
    // Loaded on first use: the engine (every check) is only needed once a diagnosis runs.
    diagnose: overrides.diagnose ?? (async (options) => (await import('../diagnose.js')).diagnose(options)),
    openSource:
      overrides.openSource ??
      ((target) => {
        const context = contextFor(target);
        return LiveClusterSource.fromKubeconfig({
          ...(context !== undefined ? { context } : {}),
          ...(overrides.kubeconfigYaml !== undefined ? { kubeconfigYaml: overrides.kubeconfigYaml } : {}),
          requestTimeoutMs: config.kubeTimeoutMs,
        });
      }),
    createFetcher: overrides.createFetcher ?? (() => new GuardedFetcher({ timeoutMs: config.fetchTimeoutMs, proxy: config.proxy })),
    encryptionKey,
    rootNamespace: config.rootNamespace,
    logLines: config.logLines,
    fetchTimeoutMs: config.fetchTimeoutMs,
    logger,
    onDiagnosis: (_verdict, seconds) => {
      metrics?.diagnosisSeconds.observe(seconds);
    },
    onJobEnd: async (end: JobEnd) => {
      logger.info(auditFields(end), 'diagnosis audit');
      metrics?.diagnoses.inc({ source: end.data.source ?? UNKNOWN_SOURCE, verdict: auditVerdict(end) });
      if (!overrides.remember) return;
      const permalink = end.parent ? await permalinkOf(client, end.parent, logger) : undefined;
      await overrides.remember(end.data.requestedBy.user, recentEntry(end, new Date(), permalink));
    },
    ...(overrides.progressIntervalMs !== undefined ? { progressIntervalMs: overrides.progressIntervalMs } : {}),
  };
}

/** The parent's link for App Home (chat.getPermalink needs no scope); undefined when Slack does not say. */
async function permalinkOf(client: WebClient, parent: { channel: string; ts: string }, logger: Logger): Promise<string | undefined> {
  try {
    const answer = await client.chat.getPermalink({ channel: parent.channel, message_ts: parent.ts });
    return answer.permalink;
  } catch (err) {
    logger.warn({ err, channel: parent.channel }, 'could not get the link of a parent for App Home');
    return undefined;
  }
}
