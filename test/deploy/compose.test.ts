/**
 * docker-compose.yml and .env.example, read as data (no Docker engine here): the services, their
 * order of start (Redis healthy first), the read-only kubeconfig mount, and an .env.example that
 * documents every variable of DESIGN §6 and that loadConfig accepts once the secrets are filled in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadConfig } from '../../src/config.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form compose YAML in assertions

const ROOT = process.cwd();
const doc = parseDocument(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'));
// Compose resolves `<<: *anchor` merge keys; yaml does so with the merge option.
const compose = parseDocument(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }).toJS() as Obj;
const services = compose['services'] as Obj;

describe('docker-compose.yml', () => {
  it('parses without errors or warnings', () => {
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
    expect(Object.keys(services).sort()).toEqual(['app', 'redis', 'worker']);
  });

  it('runs redis:7-alpine with a PING healthcheck, a named volume and noeviction', () => {
    const redis = services['redis'] as Obj;
    expect(redis['image']).toBe('redis:7-alpine');
    expect(redis['healthcheck'].test).toEqual(['CMD', 'redis-cli', 'ping']);
    const [volume] = redis['volumes'] as string[];
    const name = (volume ?? '').split(':')[0] as string;
    expect(Object.keys(compose['volumes'] as Obj)).toContain(name);
    expect(redis['command']).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction']));
    expect(redis['ports']).toBeUndefined();
  });

  it.each(['app', 'worker'])('starts %s from the image after Redis is healthy, with .env and the compose Redis URL', (name) => {
    const service = services[name] as Obj;
    expect(service['build']).toBe('.');
    expect(service['command']).toEqual([name]);
    expect(service['env_file']).toBe('.env');
    expect(service['depends_on']).toEqual({ redis: { condition: 'service_healthy' } });
    expect(service['environment'].REDIS_URL).toBe('redis://redis:6379');
    expect(service['read_only']).toBe(true);
    expect(service['cap_drop']).toEqual(['ALL']);
    expect(service['stop_grace_period']).toBe('60s');
  });

  it('publishes the Slack port and the health port of the app only', () => {
    expect(services['app']['ports']).toEqual(['3000:3000', '9464:9464']);
    expect(services['worker']['ports']).toBeUndefined();
  });

  it('mounts the host kubeconfig read-only into the worker only', () => {
    const worker = services['worker'] as Obj;
    expect(worker['environment'].KUBECONFIG).toBe('/kube/config');
    expect(worker['volumes']).toEqual(['${KUBECONFIG_HOST:-~/.kube/config}:/kube/config:ro']);
    expect(services['app']['volumes']).toBeUndefined();
  });
});

describe('.env.example', () => {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const lines = text.split('\n');
  const entries = new Map<string, string>();
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) entries.set(m[1], m[2] ?? '');
  }
  // DESIGN §6, the environment contract.
  const designVars = [
    'SLACK_BOT_TOKEN',
    'SLACK_SIGNING_SECRET',
    'SLACK_APP_TOKEN',
    'SLACK_API_URL',
    'PORT',
    'REDIS_URL',
    'JOB_ENCRYPTION_KEY',
    'ISTIO_ROOT_NAMESPACE',
    'JWTCHECK_ACCESS_FILE',
    'JWTCHECK_FETCH_TIMEOUT_MS',
    'JWTCHECK_LOG_LINES',
    'KUBECONFIG',
    'NODE_EXTRA_CA_CERTS',
  ];

  it('sets every variable of DESIGN §6, plus JWTCHECK_CONCURRENCY and LOG_LEVEL', () => {
    for (const name of [...designVars, 'JWTCHECK_CONCURRENCY', 'LOG_LEVEL']) expect([name, entries.has(name)]).toEqual([name, true]);
  });

  it('documents HEALTH_PORT without setting it: app and worker read this one file and need different ports', () => {
    expect(entries.has('HEALTH_PORT')).toBe(false);
    expect(text).toMatch(/Default 9464 for the app, 9465 for the worker[^\n]*\n(#[^\n]*\n)*# HEALTH_PORT=\n/);
  });

  it('explains each variable in a comment just above it', () => {
    lines.forEach((line, i) => {
      if (/^[A-Z0-9_]+=/.test(line)) expect([line, lines[i - 1]?.startsWith('#')]).toEqual([line, true]);
    });
    expect(text).toContain('openssl rand -base64 32');
  });

  it('holds no secret values', () => {
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'JOB_ENCRYPTION_KEY']) expect(entries.get(name)).toBe('');
  });

  it('is accepted by loadConfig once the secrets are filled in, as compose runs it', () => {
    const env = {
      ...Object.fromEntries(entries),
      ...(services['worker']['environment'] as Record<string, string>),
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 'f'.repeat(32),
      JOB_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
    };
    const config = loadConfig(env, { role: 'worker' });
    expect(config.redisUrl).toBe('redis://redis:6379');
    expect(config.fetchTimeoutMs).toBe(5000);
    expect(config.logLines).toBe(500);
    expect(config.healthPort).toBe(9465);
    expect(loadConfig(env, { role: 'app' }).healthPort).toBe(9464);
    expect(loadConfig(env, { role: 'app' }).slack.port).toBe(3000);
  });
});
