import { createHash } from 'node:crypto';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';

/**
 * One keep-alive dispatcher per cluster and user for the whole process. @kubernetes/client-node 2.0.1 builds
 * a new undici Agent for every request (dist/config.js applySecurityAuthentication → createDispatcher), so
 * every request opened a new TCP connection and TLS handshake. The dispatcher is keyed by a hash of what it
 * was built from (CA, client certificate and key, proxy, TLS flags): rotated TLS material, which client-node
 * re-reads from its files on each request, gets a fresh dispatcher and the old one closes once idle. Tokens
 * are request headers, not dispatcher state, so a rotated token needs nothing here.
 */

interface Shared {
  fingerprint: string;
  dispatcher: Dispatcher | undefined;
}

const shared = new Map<string, Shared>();

type CreateDispatcher = (cluster: Cluster | null, agentOptions: object) => Dispatcher | undefined;

export function shareDispatchers(kc: KubeConfig): void {
  // createDispatcher is private in the typings; applySecurityAuthentication calls it through `this`.
  const target = kc as unknown as { createDispatcher: CreateDispatcher };
  const build = target.createDispatcher.bind(kc);
  target.createDispatcher = (cluster, agentOptions) => {
    const fingerprint = fingerprintOf(kc.createDispatcherOptions(cluster, agentOptions));
    const slot = `${cluster?.server ?? ''}\u0000${kc.getCurrentUser()?.name ?? ''}`;
    const current = shared.get(slot);
    if (current?.fingerprint === fingerprint) return current.dispatcher;
    const dispatcher = build(cluster, agentOptions);
    shared.set(slot, { fingerprint, dispatcher });
    // close() lets requests in flight finish first.
    void current?.dispatcher?.close().catch(() => undefined);
    return dispatcher;
  };
}

/** How many clusters this thread holds a dispatcher for. */
export function sharedDispatcherCount(): number {
  return shared.size;
}

/** Closes every shared dispatcher (tests, benchmarks, shutdown); the next request builds a new one. */
export async function closeSharedDispatchers(): Promise<void> {
  const all = [...shared.values()];
  shared.clear();
  await Promise.all(all.map((s) => s.dispatcher?.close().catch(() => undefined)));
}

function fingerprintOf(value: unknown): string {
  const hash = createHash('sha256');
  feed(hash, value);
  return hash.digest('base64url');
}

function feed(hash: ReturnType<typeof createHash>, value: unknown): void {
  if (value === undefined) return void hash.update('u;');
  if (Buffer.isBuffer(value) || typeof value === 'string') return void hash.update(`${typeof value}:${value.length}:`).update(value);
  if (Array.isArray(value)) {
    hash.update(`a${value.length}[`);
    for (const item of value) feed(hash, item);
    return void hash.update(']');
  }
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value).sort()) {
      hash.update(`${key}=`);
      feed(hash, (value as Record<string, unknown>)[key]);
    }
    return void hash.update(';');
  }
  hash.update(`${String(value)};`);
}
