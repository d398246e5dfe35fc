/**
 * The in-process mode's diagnosis thread (a worker_threads entry, started by src/queue/thread-runner.ts):
 * runs whole diagnosis jobs — Kubernetes reads, engine, Slack thread — with its own WebClient and runtime,
 * so the app's event loop only serves Slack. Bundled as its own entry (scripts/build.mjs).
 */
import { setPriority } from 'node:os';
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { WebClient } from '@slack/web-api';
import { auditVerdict, UNKNOWN_SOURCE } from './job/audit.js';
import type { DiagnosisRuntime } from './job/diagnosis-job.js';
import { createDiagnosisRuntime } from './job/runtime.js';
import { createLogger } from './lib/logger.js';
import { runJobOnce } from './queue/in-process.js';
import type { ThreadInit, ThreadReply, ThreadRequest } from './queue/thread-runner.js';
import { slackClientOptions } from './slack/web-client-options.js';

/** Lower priority than the Slack thread's (0); 19 is the lowest. */
const DIAGNOSIS_THREAD_NICE = 10;

// Diagnoses yield the CPU to the thread that acks Slack: on Linux a nice value is per thread, and pid 0 is
// this thread (setpriority(2)). Raising it needs no privilege; elsewhere it may fail, which only costs speed.
try {
  setPriority(0, DIAGNOSIS_THREAD_NICE);
} catch {
  // not permitted here: the thread runs at the app's priority
}

const init = workerData as ThreadInit;
const port = parentPort;
const reply = (message: ThreadReply): void => port?.postMessage(message);
// JSON lines to the app's thread, which logs them to its own destination (and format).
const logger = createLogger(init.loggerName, {
  level: init.logLevel,
  format: 'json',
  destination: Object.assign(new Writable({ write: (chunk: Buffer, _enc, done) => (reply({ type: 'log', line: chunk.toString() }), done()) }), { isTTY: false }),
});
// Structured clone turns a Buffer into a Uint8Array.
const encryptionKey = Buffer.from(init.encryptionKey);
const config = { ...init.config, ...(init.config.jobEncryptionKey ? { jobEncryptionKey: Buffer.from(init.config.jobEncryptionKey) } : {}) };
const client = new WebClient(config.slack.botToken, slackClientOptions(config, logger, init.clientOptions));
const base = createDiagnosisRuntime(config, client, logger, encryptionKey, undefined, {
  ...init.runtime,
  remember: async (user, entry) => reply({ type: 'remember', user, entry }),
});
const runtime: DiagnosisRuntime = {
  ...base,
  onDiagnosis: (verdict: string, seconds: number) => reply({ type: 'diagnosis', verdict, seconds }),
  // The counter lives in the app's registry: the thread reports each end with its labels.
  onJobEnd: async (end) => {
    await base.onJobEnd?.(end);
    reply({ type: 'job-end', source: end.data.source ?? UNKNOWN_SOURCE, verdict: auditVerdict(end) });
  },
};

port?.on('message', (request: ThreadRequest) => {
  runJobOnce(request.data, request.jobId, runtime).then(
    () => reply({ type: 'done', jobId: request.jobId }),
    (err: unknown) => reply({ type: 'failed', jobId: request.jobId, message: err instanceof Error ? err.message : String(err) }),
  );
});
