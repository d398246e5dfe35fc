/**
 * One jwtcheck role (the Slack app, or one queue worker) in a CHILD process, driven over IPC by the
 * `RoleProcess` class in bench/role-client.ts. A role in its own process gets its own event loop and its own
 * peak RSS, as in a real deployment (app and workers are separate pods). Used by the queue benchmarks
 * (bench/slack-ack.ts, bench/throughput.ts) and by test/hardening/slack-faults.test.ts (a worker killed with
 * SIGKILL mid-job). Exits when the parent disconnects.
 */
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { startApp, type RunningApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/lib/logger.js';
import { startWorker, type RunningWorker } from '../src/worker.js';
import type { RoleChildReply, RoleParentMessage } from './role-client.js';

let app: RunningApp | undefined;
let worker: RunningWorker | undefined;
/** The baseline: a bare Bolt app (same @slack/bolt, HTTP receiver) whose only listener acks. */
let bare: App | undefined;
let completed = 0;

function send(reply: RoleChildReply): void {
  process.send?.(reply);
}

function usage(): { maxRssMiB: number; cpuSeconds: number; completed: number; heapUsedMiB: number } {
  // A full collection first (the child runs with --expose-gc), so the heap is what the process keeps.
  (globalThis as { gc?: () => void }).gc?.();
  const u = process.resourceUsage();
  // maxRSS is in KiB, CPU times in microseconds.
  return { maxRssMiB: u.maxRSS / 1024, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6, completed, heapUsedMiB: process.memoryUsage().heapUsed / 1024 ** 2 };
}

async function startBareBolt(signingSecret: string): Promise<number> {
  const receiver = new HTTPReceiver({ signingSecret, processBeforeResponse: false });
  // No auth.test: the baseline talks to no Slack API at all.
  bare = new App({ token: 'xoxb-bench', receiver, botId: 'B0BOT', botUserId: 'U0BOT', logLevel: LogLevel.ERROR, deferInitialization: true, tokenVerificationEnabled: false });
  bare.command('/jwtcheck', async ({ ack }) => ack());
  await bare.init();
  const server = (await bare.start(0)) as { address(): { port: number } };
  return server.address().port;
}

async function stop(): Promise<void> {
  await worker?.stop();
  await app?.stop();
  await bare?.stop();
  bare = undefined;
  worker = undefined;
  app = undefined;
}

async function handle(message: RoleParentMessage): Promise<void> {
  switch (message.type) {
    case 'start': {
      const logger = createLogger(`bench-${message.role}`, { level: message.logLevel ?? 'error' });
      if (message.role === 'bolt') {
        send({ type: 'ready', port: await startBareBolt(message.env['SLACK_SIGNING_SECRET'] ?? '') });
        return;
      }
      const config = loadConfig(message.env, { role: message.role });
      if (message.role === 'app') {
        app = await startApp(config, {
          logger,
          host: '127.0.0.1',
          health: false,
          botId: 'B0BOT',
          botUserId: 'U0BOT',
          ...(message.kubeconfigYaml !== undefined ? { runtime: { kubeconfigYaml: message.kubeconfigYaml } } : {}),
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
