/**
 * The Redis shapes platform teams hand out, started from the Debian packages on free local ports, each
 * with a fresh random password: TLS with a user (a CA made at test time with openssl), a primary + replica
 * watched by redis-sentinel, and a three-primary Redis Cluster made by `redis-cli --cluster create`.
 * `env` is what jwtcheck is configured with; the admin client (ioredis, not jwtcheck's code) drives failover
 * and restarts. REDIS_URL from the environment does not apply here: these need their own processes.
 */
import { execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { spawnRedisProcess, stopChild } from './redis.js';

const run = promisify(execFile);
const REDIS_SERVER = process.env['REDIS_SERVER_BIN'] ?? 'redis-server';
const REDIS_SENTINEL = process.env['REDIS_SENTINEL_BIN'] ?? 'redis-sentinel';
const REDIS_CLI = process.env['REDIS_CLI_BIN'] ?? 'redis-cli';
const POLL_MS = 50;
const SETTLE_TIMEOUT_MS = 15_000;
export const SENTINEL_NAME = 'jwtcheck-primary';

export interface TestTopology {
  /** The environment jwtcheck reads (REDIS_URL with the password, REDIS_SENTINELS, …). */
  env: Record<string, string>;
  password: string;
  stop(): Promise<void>;
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const newPassword = (): string => `pw-${randomBytes(12).toString('hex')}`;
const common = (port: number, dir: string, password: string): string[] =>
  ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--requirepass', password];

/** true when the port speaks RESP (any reply to PING, NOAUTH included), over TLS when `tls`. */
function answers(port: number, tls = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls ? connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false }) : connectTcp({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => done(/^[+-]/.test(chunk.toString())));
  });
}

async function settle<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = SETTLE_TIMEOUT_MS): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(POLL_MS);
  }
}

async function cleanup(children: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(children.map((c) => stopChild(c)));
  await rm(dir, { recursive: true, force: true });
}

/** A test CA and a server certificate for 127.0.0.1 and localhost, made with openssl in `dir`. */
async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const [ca, caKey, cert, key, csr, ext] = ['ca.crt', 'ca.key', 'server.crt', 'server.key', 'server.csr', 'server.ext'].map((f) => join(dir, f)) as [string, string, string, string, string, string];
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', '/CN=jwtcheck test CA']);
  await run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=localhost']);
  await writeFile(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext]);
  return { ca, cert, key };
}

export interface TestTlsRedis extends TestTopology {
  port: number;
  caFile: string;
}

/** `redis-server --tls-port` only (no plain port), the default user off, user `jwtcheck` with a password. */
export async function startTlsRedis(): Promise<TestTlsRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'jwtcheck-redis-tls-'));
  const { ca, cert, key } = await makeCertificates(dir);
  const port = await freePort();
  const password = newPassword();
  const args = ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no', '--user', 'default', 'off', '--user', 'jwtcheck', 'on', `>${password}`, '~*', '&*', '+@all'];
  const child = await spawnRedisProcess(REDIS_SERVER, args, port, (p) => answers(p, true));
  return {
    port,
    caFile: ca,
    password,
    env: { REDIS_URL: `rediss://jwtcheck:${password}@127.0.0.1:${port}`, REDIS_CA_FILE: ca },
    stop: () => cleanup([child], dir),
  };
}

export interface TestSentinel extends TestTopology {
  primaryPort(): Promise<number>;
  /** Asks the sentinel to fail over; resolves once the replica is the primary the sentinel names, with the elapsed ms. */
  failover(): Promise<number>;
}

/** A primary and a replica (both with requirepass) and one redis-sentinel (quorum 1) watching them. */
export async function startSentinel(): Promise<TestSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'jwtcheck-redis-sentinel-'));
  const password = newPassword();
  const [primary, replica, sentinel] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  children.push(await spawnRedisProcess(REDIS_SERVER, [...common(primary, dir, password), '--masterauth', password, '--dbfilename', 'p.rdb'], primary, answers));
  children.push(await spawnRedisProcess(REDIS_SERVER, [...common(replica, dir, password), '--masterauth', password, '--dbfilename', 'r.rdb', '--replicaof', '127.0.0.1', String(primary)], replica, answers));
  const conf = join(dir, 'sentinel.conf');
  await writeFile(conf, [
    `port ${sentinel}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary} 1`,
    `sentinel auth-pass ${SENTINEL_NAME} ${password}`,
    `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
    `sentinel failover-timeout ${SENTINEL_NAME} 10000`,
    '',
  ].join('\n'));
  children.push(await spawnRedisProcess(REDIS_SENTINEL, [conf], sentinel, answers));
  const admin = new Redis({ host: '127.0.0.1', port: sentinel, lazyConnect: true });
  const node = (port: number): Redis => new Redis({ host: '127.0.0.1', port, password, lazyConnect: true });
  const primaryPort = async (): Promise<number> => Number(((await admin.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME)) as string[])[1]);
  const linkUp = async (port: number): Promise<true | undefined> => {
    const client = node(port);
    try {
      return (await client.info('replication')).includes('master_link_status:up') ? true : undefined;
    } finally {
      client.disconnect();
    }
  };
  // Ready when the replica has synced and the sentinel lists it as a healthy replica.
  await settle('the replica to sync', () => linkUp(replica));
  await settle('the sentinel to see the replica', async () => {
    const replicas = (await admin.call('SENTINEL', 'replicas', SENTINEL_NAME)) as string[][];
    return replicas.some((r) => r.includes(String(replica)) && !String(r[r.indexOf('flags') + 1]).includes('down')) ? true : undefined;
  });
  return {
    env: { REDIS_URL: `redis://:${password}@sentinel`, REDIS_SENTINELS: `127.0.0.1:${sentinel}`, REDIS_SENTINEL_NAME: SENTINEL_NAME },
    password,
    primaryPort,
    async failover() {
      const before = await primaryPort();
      // A planned failover: the replica has every write first (replication is asynchronous, so an
      // unplanned one can lose the last writes; that is Redis, not jwtcheck).
      const old = node(before);
      await old.call('WAIT', '1', '2000').finally(() => old.disconnect());
      const started = Date.now();
      // NOGOODSLAVE right after a previous change: the sentinel has not re-read the replica yet.
      await settle('the sentinel to accept FAILOVER', async () => ((await admin.call('SENTINEL', 'failover', SENTINEL_NAME)) === 'OK' ? true : undefined));
      // Done when the sentinel has switched (+switch-master): during the failover it already names the
      // promoted replica, and a failover can still be aborted then.
      const after = await settle('the sentinel to switch to a new primary', async () => {
        const fields = (await admin.call('SENTINEL', 'master', SENTINEL_NAME)) as string[];
        const field = (name: string): string => String(fields[fields.indexOf(name) + 1]);
        return field('flags') === 'master' && Number(field('port')) !== before ? Number(field('port')) : undefined;
      });
      await settle('the new primary to take writes', async () => {
        const client = node(after);
        try {
          return (await client.role())[0] === 'master' ? true : undefined;
        } finally {
          client.disconnect();
        }
      });
      const ms = Date.now() - started;
      // The sentinel demotes the old primary only some 10 s later (after its next INFO round); do it now,
      // with the commands the sentinel sends (sentinelSendSlaveOf in redis 7.0 src/sentinel.c), so the
      // next failover finds a synced replica without that wait.
      const demoted = node(before);
      await demoted
        .multi()
        .call('REPLICAOF', '127.0.0.1', String(after))
        .call('CLIENT', 'KILL', 'TYPE', 'normal')
        .call('CLIENT', 'KILL', 'TYPE', 'pubsub')
        .exec()
        .finally(() => demoted.disconnect());
      await settle('the old primary to follow', () => linkUp(before));
      return ms;
    },
    async stop() {
      admin.disconnect();
      await cleanup(children.reverse(), dir);
    },
  };
}

export interface TestCluster extends TestTopology {
  /** SIGTERM then start again (AOF on, so it comes back with its data) the primary owning `key`'s slot; the ms it was away. */
  restartNodeFor(key: string): Promise<{ port: number; ms: number }>;
  admin: Cluster;
}

/** Three primaries (no replicas), each slot range on one, AOF on so a restarted node keeps its keys. */
export async function startCluster(): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'jwtcheck-redis-cluster-'));
  const password = newPassword();
  const ports = [await freePort(), await freePort(), await freePort()];
  const args = (port: number): string[] => [
    ...common(port, dir, password),
    '--cluster-enabled', 'yes',
    '--cluster-config-file', `nodes-${port}.conf`,
    '--cluster-node-timeout', '3000',
    '--appendonly', 'yes',
    '--appendfilename', `appendonly-${port}.aof`,
    '--appenddirname', `aof-${port}`,
  ];
  const children = new Map<number, ChildProcess>();
  await Promise.all(ports.map(async (p) => children.set(p, await spawnRedisProcess(REDIS_SERVER, args(p), p, answers))));
  await run(REDIS_CLI, ['-a', password, '--no-auth-warning', '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes'], { timeout: SETTLE_TIMEOUT_MS });
  const clusterOk = async (): Promise<true | undefined> => {
    for (const port of ports) {
      const client = new Redis({ host: '127.0.0.1', port, password, lazyConnect: true });
      try {
        if (!String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) return undefined;
      } finally {
        client.disconnect();
      }
    }
    return true;
  };
  await settle('the cluster to agree', clusterOk);
  const admin = new Cluster(ports.map((port) => ({ host: '127.0.0.1', port })), { redisOptions: { password } });
  return {
    env: { REDIS_URL: `redis://:${password}@cluster`, REDIS_CLUSTER_NODES: ports.map((p) => `127.0.0.1:${p}`).join(',') },
    password,
    admin,
    async restartNodeFor(key) {
      const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', key));
      const slots = (await admin.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
      const port = slots.find(([from, to]) => slot >= from && slot <= to)?.[2][1];
      const child = port === undefined ? undefined : children.get(port);
      if (port === undefined || !child) throw new Error(`no node owns slot ${slot}`);
      const started = Date.now();
      await stopChild(child);
      children.set(port, await spawnRedisProcess(REDIS_SERVER, args(port), port, answers));
      await settle('the cluster to agree again', clusterOk);
      return { port, ms: Date.now() - started };
    },
    async stop() {
      admin.disconnect();
      await cleanup([...children.values()], dir);
    },
  };
}
