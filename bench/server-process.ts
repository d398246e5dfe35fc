/** Parent side of bench/servers.ts: start the fake cluster + issuer in a child process and talk to it. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClusterShape } from './cluster-fixture.js';

export type ParentMessage =
  | { type: 'start'; shape: Omit<ClusterShape, 'issuer' | 'jwksUri'>; kubeLatencyMs: number; issuerDelayMs: number; tls?: { cert: string; key: string } }
  | { type: 'requests' }
  | { type: 'stop' };

export interface KubeRequestRecord {
  verb: string;
  resource: string;
  namespace: string;
  status: number;
  bytes: number;
  query: Record<string, string>;
}

export type ChildReply =
  | { type: 'ready'; kubeconfigYaml: string; issuer: string; token: string; objects: number }
  | { type: 'requests'; kube: KubeRequestRecord[]; issuer: string[] }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

const CHILD_REPLY_TIMEOUT_MS = 60_000;

export class ServerProcess {
  private constructor(private readonly child: ChildProcess) {}

  static spawn(): ServerProcess {
    const file = fileURLToPath(new URL('./servers.ts', import.meta.url));
    const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new ServerProcess(child);
  }

  private ask<T extends ChildReply['type']>(message: ParentMessage, expect: T): Promise<Extract<ChildReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`bench servers: no "${expect}" within ${CHILD_REPLY_TIMEOUT_MS} ms`)), CHILD_REPLY_TIMEOUT_MS);
      const onMessage = (reply: ChildReply): void => {
        if (reply.type === 'failed') finish(new Error(`bench servers failed: ${reply.message}`));
        else if (reply.type === expect) finish(undefined, reply as Extract<ChildReply, { type: T }>);
      };
      const onExit = (code: number | null): void => finish(new Error(`bench servers exited (${code ?? 'signal'})`));
      const finish = (err?: Error, reply?: Extract<ChildReply, { type: T }>): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        if (err) reject(err);
        else resolve(reply as Extract<ChildReply, { type: T }>);
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
      this.child.send(message);
    });
  }

  /** With `tls`, the fake API serves HTTPS and its kubeconfig trusts that certificate. */
  start(shape: Omit<ClusterShape, 'issuer' | 'jwksUri'>, kubeLatencyMs: number, issuerDelayMs: number, tls?: { cert: string; key: string }) {
    return this.ask({ type: 'start', shape, kubeLatencyMs, issuerDelayMs, ...(tls ? { tls } : {}) }, 'ready');
  }

  /** Requests since the last call (then cleared). */
  takeRequests() {
    return this.ask({ type: 'requests' }, 'requests');
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.ask({ type: 'stop' }, 'stopped').catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
