/**
 * A throwaway redis-server for queue tests: REDIS_URL when set (CI may provide one; stop/restart are
 * then no-ops), else a child `redis-server` on a free port with persistence off. restart() keeps the
 * port so clients can reconnect to the same URL, which is what a Redis outage looks like to the app.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './free-port.js';

export interface TestRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const REDIS_BINARY = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
const POLL_INTERVAL_MS = 20;
const START_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 5000;

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** true when something on the port answers PING with +PONG. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

function spawnRedis(port: number): Promise<ChildProcess> {
  return spawnRedisProcess(REDIS_BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], port);
}

/** Spawns a Redis binary and resolves once `answers(port)` says it serves (test/support/redis-topologies.ts). */
export function spawnRedisProcess(binary: string, args: string[], port: number, answers: (port: number) => Promise<boolean> = ping): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  child.once('error', (err) => (exited = err.message));
  return (async () => {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited !== undefined) throw new Error(`${binary} on port ${port} ${exited}: ${stderr.trim()}`);
      if (await answers(port)) return child;
      await delay(POLL_INTERVAL_MS);
    }
    child.kill('SIGKILL');
    throw new Error(`${binary} on port ${port} did not answer within ${START_TIMEOUT_MS} ms`);
  })();
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startRedis(): Promise<TestRedis> {
  const external = process.env['REDIS_URL'];
  if (external !== undefined && external !== '') {
    const port = Number(new URL(external).port || 6379);
    return { url: external, port, stop: async () => {}, restart: async () => {} };
  }
  const port = await freePort();
  let child: ChildProcess | undefined = await spawnRedis(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop(): Promise<void> {
      if (child !== undefined) await stopChild(child);
      child = undefined;
    },
    async restart(): Promise<void> {
      if (child !== undefined) await stopChild(child);
      child = await spawnRedis(port);
    },
  };
}
