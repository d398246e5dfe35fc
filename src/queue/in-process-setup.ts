/**
 * In-process mode (no REDIS_URL), loaded by the app only then: the queue-mode app never loads the
 * diagnosis runtime, the engine or the Kubernetes client. Jobs run in the diagnosis thread, unless a test
 * replaced parts of the runtime with functions (those cannot cross to a thread): then on this event loop.
 */
import type { WebClient, WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../metrics.js';
import { createDiagnosisRuntime, type RuntimeOverrides } from '../job/runtime.js';
import type { RecentDiagnosis } from '../render/home-view.js';
import type { DiagnosisJobData } from '../job/job-data.js';
import { renderNotice, targetLabel } from '../render/slack-blocks.js';
import { InProcessDispatcher, MemoryTokenStash } from './in-process.js';
import { DiagnosisThread } from './thread-runner.js';

export interface InProcessSetup {
  config: Readonly<Config>;
  client: WebClient;
  logger: Logger;
  encryptionKey: Buffer;
  metrics: Metrics;
  overrides?: RuntimeOverrides;
  clientOptions?: Partial<WebClientOptions>;
  /** App Home's memory of finished diagnoses (kept on the app's side; the thread reports each end). */
  remember?: (user: string, entry: RecentDiagnosis) => Promise<void>;
}

export function startInProcess(s: InProcessSetup): { dispatcher: InProcessDispatcher; stash: MemoryTokenStash } {
  const stash = new MemoryTokenStash();
  const overrides = s.overrides ?? {};
  if (Object.values(overrides).some((v) => typeof v === 'function')) {
    const runtime = createDiagnosisRuntime(s.config, s.client, s.logger, s.encryptionKey, s.metrics, { ...overrides, ...(s.remember ? { remember: s.remember } : {}) });
    return { dispatcher: new InProcessDispatcher({ concurrency: s.config.concurrency, runtime, logger: s.logger }), stash };
  }
  const thread = new DiagnosisThread(
    {
      config: s.config,
      encryptionKey: s.encryptionKey,
      ...(s.clientOptions ? { clientOptions: s.clientOptions } : {}),
      runtime: overrides,
      loggerName: (s.logger.bindings()['name'] as string | undefined) ?? 'jwtcheck-app',
      logLevel: s.logger.level,
    },
    s.logger,
    {
      diagnosis: (_verdict, seconds) => s.metrics.diagnosisSeconds.observe(seconds),
      jobEnd: (source, verdict) => s.metrics.diagnoses.inc({ source, verdict }),
      remember: (user, entry) => void s.remember?.(user, entry).catch((err: unknown) => s.logger.warn({ err }, 'could not remember a diagnosis for App Home')),
    },
  );
  const onLost = async (data: DiagnosisJobData, _jobId: string, reason: string): Promise<void> => {
    const { channel, threadTs } = data.replyTo;
    const notice = renderNotice(
      `🛑 The check of ${targetLabel(data.target)} stopped before it finished (${reason}). Run it again with \`/jwtcheck ${data.target.service} ${data.target.namespace}\`; if it keeps happening, tell the team that runs jwtcheck.`,
    );
    await s.client.chat.postMessage({ channel, ...(threadTs ? { thread_ts: threadTs } : {}), ...notice });
  };
  return { dispatcher: new InProcessDispatcher({ concurrency: s.config.concurrency, thread, logger: s.logger, onLost }), stash };
}
