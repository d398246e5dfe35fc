/** Parent side of bench/role-process.ts: start the Slack app or one worker in a child process and talk to it. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface SlackRetries {
  retries: number;
  factor?: number;
  minTimeout?: number;
  maxTimeout?: number;
}

export type RoleParentMessage =
  | {
      type: 'start';
      /** `bolt`: the bare Bolt baseline (HTTP receiver, a listener that only acks). */
      role: 'app' | 'worker' | 'bolt';
      /** The environment loadConfig reads (REDIS_URL, SLACK_*, JWTCHECK_CONCURRENCY, …). */
      env: Record<string, string>;
      /** Worker, and the app in in-process mode: the cluster to diagnose. */
      kubeconfigYaml?: string;
      lockDurationMs?: number;
      stalledIntervalMs?: number;
      slackRetries?: SlackRetries;
      logLevel?: string;
    }
  | { type: 'stats' }
  | { type: 'stop' };

export type RoleChildReply =
  | { type: 'ready'; port?: number }
  | ({ type: 'stats' } & RoleUsage)
  | ({ type: 'stopped' } & RoleUsage)
  | { type: 'failed'; message: string };

/** Peak RSS, CPU time used so far (user + system) and jobs completed (workers) of the child. */
export interface RoleUsage {
  maxRssMiB: number;
  cpuSeconds: number;
  completed: number;
  /** Heap in use after a full collection. */
  heapUsedMiB: number;
}

type StartOptions = Omit<Extract<RoleParentMessage, { type: 'start' }>, 'type'>;

const CHILD_REPLY_TIMEOUT_MS = 30_000;
const CHILD_EXIT_WAIT_MS = 5_000;

export class RoleProcess {
  private constructor(private readonly child: ChildProcess) {}

  /** Forks the child (tsx loader) and starts the role in it; resolves when it is ready. */
  static async start(options: StartOptions): Promise<{ role: RoleProcess; port: number | undefined }> {
    const file = fileURLToPath(new URL('./role-process.ts', import.meta.url));
    // Jest's NODE_OPTIONS (vm modules) are not for this child.
    const env = { ...process.env, NODE_OPTIONS: '' };
    const child = fork(file, [], { execArgv: ['--import', 'tsx', '--expose-gc'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const role = new RoleProcess(child);
    try {
      const ready = await role.ask({ type: 'start', ...options }, 'ready');
      return { role, port: ready.port };
    } catch (err) {
      await role.kill();
      throw err;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private ask<T extends RoleChildReply['type']>(message: RoleParentMessage, expect: T): Promise<Extract<RoleChildReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${message.type}: no "${expect}" from the child within ${CHILD_REPLY_TIMEOUT_MS} ms`)), CHILD_REPLY_TIMEOUT_MS);
      const onMessage = (reply: RoleChildReply): void => {
        if (reply.type === 'failed') finish(new Error(`role child failed: ${reply.message}`));
        else if (reply.type === expect) finish(undefined, reply as Extract<RoleChildReply, { type: T }>);
      };
      const onExit = (code: number | null, signal: string | null): void => finish(new Error(`role child exited (${code ?? signal ?? '?'})`));
      const finish = (err?: Error, reply?: Extract<RoleChildReply, { type: T }>): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(reply as Extract<RoleChildReply, { type: T }>);
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
      this.child.send(message);
    });
  }

  async stats(): Promise<RoleUsage> {
    const { type: _type, ...usage } = await this.ask({ type: 'stats' }, 'stats');
    return usage;
  }

  /** Graceful: the role closes (a worker finishes its active jobs), then reports its peak RSS. */
  async stop(): Promise<RoleUsage | undefined> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || !this.child.connected) return undefined;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const stopped = await this.ask({ type: 'stop' }, 'stopped').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), CHILD_EXIT_WAIT_MS);
    await exited;
    clearTimeout(timer);
    return stopped ? { maxRssMiB: stopped.maxRssMiB, cpuSeconds: stopped.cpuSeconds, completed: stopped.completed, heapUsedMiB: stopped.heapUsedMiB } : undefined;
  }

  /** SIGKILL: what a crashed or OOM-killed worker pod looks like to the queue. Resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}
