/**
 * `jwtcheck app` / `jwtcheck worker`: long-running processes, loaded lazily so `diagnose` never loads
 * Bolt or BullMQ. SIGTERM stops taking work, lets running diagnoses finish (bounded), closes Redis,
 * exits 0; a second signal exits at once (src/shutdown.ts).
 */
import { loadConfig } from '../config.js';
import { startApp } from '../app.js';
import { startWorker } from '../worker.js';
import { createLogger } from '../lib/logger.js';
import { onShutdown } from '../shutdown.js';
import type { CliIo } from './io.js';

const RUNS_UNTIL_SIGNALLED = new Promise<number>(() => undefined);

export async function runAppCommand(io: CliIo): Promise<number> {
  const running = await startApp(loadConfig(io.env, { role: 'app' }));
  onShutdown([() => running.stop()], { logger: createLogger('jwtcheck-app') });
  return RUNS_UNTIL_SIGNALLED;
}

export async function runWorkerCommand(io: CliIo): Promise<number> {
  const config = loadConfig(io.env, { role: 'worker' });
  const running = await startWorker(config, config.cluster ? { cluster: config.cluster } : {});
  onShutdown([() => running.stop()], { logger: createLogger('jwtcheck-worker') });
  return RUNS_UNTIL_SIGNALLED;
}
