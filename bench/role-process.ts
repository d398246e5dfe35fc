/**
 * One jwtcheck role (the Slack app, or one queue worker) in a CHILD process, driven over IPC by the
 * `RoleProcess` class in bench/role-client.ts. A role in its own process gets its own event loop and its own
 * peak RSS, as in a real deployment (app and workers are separate pods). Used by the queue benchmarks
 * (bench/slack-ack.ts, bench/throughput.ts) and by test/hardening/slack-faults.test.ts (a worker killed with
 * SIGKILL mid-job). Exits when the parent disconnects.
 */
import { startApp, type RunningApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from '../src/worker.js';
import type { RoleChildReply, RoleParentMessage } from './role-client.js';

let app: RunningApp | undefined;
let worker: RunningWorker | undefined;
let completed = 0;

function send(reply: RoleChildReply): void {
  process.send?.(reply);
}

function usage(): { maxRssMiB: number; cpuSeconds: number; completed: number } {
  const u = process.resourceUsage();
  // maxRSS is in KiB, CPU times in microseconds.
  return { maxRssMiB: u.maxRSS / 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, completed };
}

async function stop(): Promise<void> {
  await worker?.stop();
  await app?.stop();
  worker = undefined;
  app = undefined;
}

async function handle(message: RoleParentMessage): Promise<void> {
  switch (message.type) {
    case 'start': {
      const logger = createLogger(`bench-${message.role}`, { level: message.logLevel ?? 'error' });
      const config = loadConfig(message.env, { role: message.role });
      if (message.role === 'app') {
        app = await startApp(config, {
          logger,
          host: '127.0.0.1',
          health: false,
          botId: 'B0BOT',
          botUserId: 'U0BOT',
          ...(message.slackRetries !== undefined ? { clientOptions: { retryConfig: message.slackRetries } } : {}),
        });
        send({ type: 'ready', port: app.port });
        return;
      }
      worker = await startWorker(config, {
        logger,
        health: false,
        ...(message.slackRetries !== undefined ? { clientOptions: { retryConfig: message.slackRetries } } : {}),
        runtime: { ...(message.kubeconfigYaml !== undefined ? { kubeconfigYaml: message.kubeconfigYaml } : {}) },
        ...(message.lockDurationMs !== undefined ? { lockDurationMs: message.lockDurationMs } : {}),
        ...(message.stalledIntervalMs !== undefined ? { stalledIntervalMs: message.stalledIntervalMs } : {}),
      });
      worker.worker.on('completed', () => (completed += 1));
      send({ type: 'ready' });
      return;
    }
    case 'stats':
      send({ type: 'stats', ...usage() });
      return;
    case 'stop':
      await stop();
      send({ type: 'stopped', ...usage() });
      process.disconnect?.();
      return;
  }
}

process.on('message', (message: RoleParentMessage) => {
  handle(message).catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
