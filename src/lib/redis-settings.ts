/**
 * Which Redis the queue lives on, read from the environment's text (config.ts passes it in): a single
 * server (`REDIS_URL`, `redis://` or `rediss://` for TLS), a Sentinel-managed primary (`REDIS_SENTINELS` +
 * `REDIS_SENTINEL_NAME`) or a Redis Cluster (`REDIS_CLUSTER_NODES`). With Sentinel or Cluster, `REDIS_URL`
 * is optional and only lends its scheme (TLS), user, password and database; its host is not used.
 * Problems never quote REDIS_URL: it may carry a password.
 */

export type RedisTopology = 'standalone' | 'sentinel' | 'cluster';

export interface HostPort {
  host: string;
  port: number;
}

export interface RedisSettings {
  topology: RedisTopology;
  /** standalone: the server; sentinel: the sentinels; cluster: the seed nodes. */
  nodes: HostPort[];
  /** Sentinel only: the primary's name as the sentinels know it (`sentinel monitor <name> …`). */
  sentinelName?: string;
  tls: boolean;
  /** PEM file trusted instead of Node's store for Redis; unset: Node's store, which NODE_EXTRA_CA_CERTS extends. */
  caFile?: string;
  username?: string;
  password?: string;
  db?: number;
}

/** What /readyz shows about the queue's Redis: addresses only. */
export interface RedisConnectionInfo {
  topology: RedisTopology;
  tls: boolean;
  /** Where the client talks now: the server, the primary the sentinels named, or the cluster's primaries. */
  servers: string[];
}

export interface RedisEnv {
  url?: string;
  sentinels?: string;
  sentinelName?: string;
  clusterNodes?: string;
  caFile?: string;
}

const DEFAULT_REDIS_PORT = 6379;

/** undefined when no Redis is configured (the app then diagnoses in-process). Pushes each problem found. */
export function parseRedisSettings(env: RedisEnv, problems: string[]): RedisSettings | undefined {
  if (env.sentinels && env.clusterNodes) {
    problems.push('REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set: keep the one your Redis is (Sentinel or Cluster).');
  }
  if (env.sentinels && !env.sentinelName) problems.push('REDIS_SENTINEL_NAME is not set: give the primary\'s name the sentinels monitor (often "mymaster").');
  if (env.sentinelName && !env.sentinels) problems.push('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS: list the sentinels as host:port,host:port.');
  if (!env.url && !env.sentinels && !env.clusterNodes) {
    if (env.caFile) problems.push('REDIS_CA_FILE is set without a Redis: set REDIS_URL (rediss://…) too.');
    return undefined;
  }
  const url = env.url === undefined ? undefined : parseUrl(env.url, problems);
  if (env.caFile && url?.tls !== true) problems.push('REDIS_CA_FILE is set but REDIS_URL does not start with rediss://: use rediss:// to connect with TLS.');
  const topology: RedisTopology = env.clusterNodes ? 'cluster' : env.sentinels ? 'sentinel' : 'standalone';
  const listed = env.clusterNodes ?? env.sentinels;
  const nodes = listed === undefined ? (url?.node ? [url.node] : []) : parseNodes(listed, topology === 'cluster' ? 'REDIS_CLUSTER_NODES' : 'REDIS_SENTINELS', problems);
  if (listed === undefined && url && !url.node) problems.push('REDIS_URL names no host: write redis://[user:password@]host:6379.');
  return {
    topology,
    nodes,
    ...(topology === 'sentinel' && env.sentinelName ? { sentinelName: env.sentinelName } : {}),
    tls: url?.tls ?? false,
    ...(env.caFile ? { caFile: env.caFile } : {}),
    ...(url?.username ? { username: url.username } : {}),
    ...(url?.password ? { password: url.password } : {}),
    ...(url?.db !== undefined && topology !== 'cluster' ? { db: url.db } : {}),
  };
}

/** How messages name the Redis: addresses only, never credentials. */
export function describeRedisSettings(settings: RedisSettings): string {
  const nodes = settings.nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (settings.topology === 'sentinel') return `${nodes} (Sentinel, primary "${settings.sentinelName ?? ''}")`;
  if (settings.topology === 'cluster') return `${nodes} (Cluster)`;
  return nodes;
}

interface ParsedUrl {
  tls: boolean;
  node?: HostPort;
  username?: string;
  password?: string;
  db?: number;
}

function parseUrl(text: string, problems: string[]): ParsedUrl | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    problems.push('REDIS_URL is not a URL: write redis://[user:password@]host:6379[/db], or rediss:// for TLS.');
    return undefined;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    problems.push(`REDIS_URL must start with redis:// or rediss:// (got ${url.protocol}//).`);
    return undefined;
  }
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d{1,2}$/.test(db)) problems.push('REDIS_URL names a database that is not a number (redis://host:6379/0).');
  return {
    tls: url.protocol === 'rediss:',
    ...(url.hostname ? { node: { host: unbracket(url.hostname), port: Number(url.port || DEFAULT_REDIS_PORT) } } : {}),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db !== '' && /^\d+$/.test(db) ? { db: Number(db) } : {}),
  };
}

function parseNodes(list: string, variable: string, problems: string[]): HostPort[] {
  const nodes: HostPort[] = [];
  for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(item);
    const port = Number(match?.[2]);
    if (!match?.[1] || port < 1 || port > 65535) {
      problems.push(`${variable} must list host:port pairs separated by commas (got "${item}").`);
      continue;
    }
    nodes.push({ host: unbracket(match[1]), port });
  }
  if (nodes.length === 0 && problems.every((p) => !p.startsWith(variable))) problems.push(`${variable} lists no host:port.`);
  return nodes;
}

/** URL and list syntax put IPv6 addresses in brackets; sockets want them bare. */
function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
