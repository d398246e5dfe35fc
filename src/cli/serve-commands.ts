/** `jwtcheck app` / `jwtcheck worker`: long-running processes; loaded lazily so the CLI never loads Bolt. */
import { loadConfig } from '../config.js';
import { startApp } from '../app.js';
import { startWorker } from '../worker.js';
import type { CliIo } from '../cli.js';

export async function runAppCommand(io: CliIo): Promise<number> {
  await startApp(loadConfig(io.env, { role: 'app' }));
  return await new Promise<number>(() => {
    // Runs until a signal stops it; shutdown exits the process.
  });
}

export async function runWorkerCommand(io: CliIo): Promise<number> {
  await startWorker(loadConfig(io.env, { role: 'worker' }));
  return await new Promise<number>(() => {
    // Runs until a signal stops it; shutdown exits the process.
  });
}
