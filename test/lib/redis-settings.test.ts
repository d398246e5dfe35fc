/** Which Redis the environment names, and that no problem ever quotes a password. */
import { loadConfig } from '../../src/config.js';
import { describeRedisSettings, parseRedisSettings, type RedisEnv } from '../../src/lib/redis-settings.js';
import { appKey, queueLocation } from '../../src/job/job-data.js';

const parse = (env: RedisEnv) => {
  const problems: string[] = [];
  return { settings: parseRedisSettings(env, problems), problems };
};

describe('parseRedisSettings', () => {
  it('reads a TLS URL with user, password and database', () => {
    const { settings, problems } = parse({ url: 'rediss://app:p%40ss@redis.example:6380/2', caFile: '/etc/ca.pem' });
    expect(problems).toEqual([]);
    expect(settings).toEqual({ topology: 'standalone', nodes: [{ host: 'redis.example', port: 6380 }], tls: true, caFile: '/etc/ca.pem', username: 'app', password: 'p@ss', db: 2 });
    expect(describeRedisSettings(settings!)).toBe('redis.example:6380');
  });

  it('reads sentinels and cluster nodes, taking only credentials and TLS from REDIS_URL', () => {
    const sentinel = parse({ url: 'rediss://:pw@ignored', sentinels: 's1:26379, [::1]:26380', sentinelName: 'mymaster' });
    expect(sentinel.settings).toMatchObject({ topology: 'sentinel', nodes: [{ host: 's1', port: 26379 }, { host: '::1', port: 26380 }], sentinelName: 'mymaster', tls: true, password: 'pw' });
    expect(describeRedisSettings(sentinel.settings!)).toBe('s1:26379,::1:26380 (Sentinel, primary "mymaster")');
    const cluster = parse({ clusterNodes: 'a:7000,b:7001,c:7002' });
    expect(cluster.settings).toMatchObject({ topology: 'cluster', tls: false, nodes: [{ host: 'a', port: 7000 }, { host: 'b', port: 7001 }, { host: 'c', port: 7002 }] });
    expect(cluster.problems).toEqual([]);
  });

  it('is undefined without any Redis variable (in-process mode)', () => {
    expect(parse({})).toEqual({ settings: undefined, problems: [] });
  });

  it.each<[string, RedisEnv, RegExp]>([
    ['both topologies', { sentinels: 'a:1', sentinelName: 'm', clusterNodes: 'b:2' }, /both set/],
    ['sentinels without a name', { sentinels: 'a:1' }, /REDIS_SENTINEL_NAME is not set/],
    ['a bad node list', { clusterNodes: 'a:1,b' }, /REDIS_CLUSTER_NODES must list host:port pairs .*"b"/],
    ['a CA without TLS', { url: 'redis://h:6379', caFile: '/ca.pem' }, /rediss:\/\//],
    ['another scheme', { url: 'http://user:secretpw@h' }, /must start with redis:\/\/ or rediss:\/\//],
  ])('refuses %s in one sentence that never quotes the password', (_name, env, expected) => {
    const { problems } = parse(env);
    expect(problems.join('\n')).toMatch(expected);
    expect(problems.join('\n')).not.toContain('secretpw');
  });

  it('makes a Redis queue need JOB_ENCRYPTION_KEY whichever variable names it', () => {
    expect(() => loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', REDIS_CLUSTER_NODES: 'a:7000' }, { role: 'worker' })).toThrow(/JOB_ENCRYPTION_KEY is required with a Redis queue/);
  });
});

describe('key names', () => {
  it('keeps the plain names on one server and braces the word jwtcheck on a Cluster', () => {
    expect(queueLocation('default', true)).toEqual({ name: '{jwtcheck}', prefix: 'bull', label: 'jwtcheck' });
    expect(queueLocation('prod-eu', true)).toEqual({ name: 'prod-eu', prefix: 'bull:{jwtcheck}', label: 'jwtcheck:prod-eu' });
    expect(appKey('seen', 'slack-1', true)).toBe('{jwtcheck}:seen:slack-1');
    expect(appKey('seen', 'slack-1')).toBe('jwtcheck:seen:slack-1');
  });
});
