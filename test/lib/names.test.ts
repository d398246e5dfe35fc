/**
 * One name rule (lib/names.ts) for every door a cluster or workload name comes through: the Slack parser,
 * the job validation, the worker's JWTCHECK_CLUSTER and the CLI. A name one of them accepts must not be
 * refused by another (before: `--cluster Prod_EU` was accepted in Slack and no worker could be configured
 * to serve it).
 */
import { loadConfig } from '../../src/config.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { validateJobData, queueLocation } from '../../src/job/job-data.js';
import { isValidCluster, isValidName, splitQualifiedName } from '../../src/lib/names.js';
import { parseCommand } from '../../src/slack/parse-command.js';

const job = (cluster: string) => ({
  target: { service: 'httpbin', namespace: 'foo', cluster },
  requestedBy: { team: 'T0TEAM', user: 'U0ALICE', channel: 'C0INCIDENT' },
  replyTo: { channel: 'C0INCIDENT' },
});

describe('one rule for cluster names', () => {
  it.each(['Prod_EU', 'prod-eu', 'gke.europe-west1.prod', 'a'])('%s passes every door', (cluster) => {
    expect(isValidCluster(cluster)).toBe(true);
    expect(parseCommand(`httpbin foo --cluster ${cluster}`)).toEqual({ kind: 'diagnose', target: { service: 'httpbin', namespace: 'foo', cluster } });
    expect(validateJobData(job(cluster)).ok).toBe(true);
    expect(loadConfig({ JWTCHECK_CLUSTER: cluster }).cluster).toBe(cluster);
    expect(queueLocation(cluster).label).toBe(cluster === 'default' ? 'jwtcheck' : `jwtcheck:${cluster}`);
  });

  it.each(['prod:eu', 'prod eu', '-prod', 'prod-', 'x'.repeat(64)])('%j is refused by every door, with the rule in words', (cluster) => {
    expect(isValidCluster(cluster)).toBe(false);
    const parsed = parseCommand(`httpbin foo --cluster=${cluster}`);
    expect(parsed.kind).toBe('usage');
    expect(validateJobData(job(cluster)).ok).toBe(false);
    expect(() => loadConfig({ JWTCHECK_CLUSTER: cluster })).toThrow(/JWTCHECK_CLUSTER must be a cluster name .*letters, digits/);
  });
});

describe('one rule for Service and namespace names', () => {
  it('accepts DNS-1123 labels only, in Slack and on the command line alike', () => {
    expect(isValidName('httpbin')).toBe(true);
    expect(isValidName('Httpbin')).toBe(false);
    expect(isValidName('a'.repeat(64))).toBe(false);
    expect(parseCommand('Httpbin foo')).toMatchObject({ kind: 'usage', message: expect.stringContaining('DNS-1123') });
    expect(() => parseArgs(['diagnose', 'Httpbin', 'foo'])).toThrow(/DNS-1123/);
  });

  it('reads the shapes kubectl users type', () => {
    expect(splitQualifiedName('httpbin.foo')).toEqual({ service: 'httpbin', namespace: 'foo' });
    expect(splitQualifiedName('foo/httpbin')).toEqual({ service: 'httpbin', namespace: 'foo' });
    expect(splitQualifiedName('httpbin.foo.svc.cluster.local')).toEqual({ service: 'httpbin', namespace: 'foo' });
    expect(splitQualifiedName('httpbin')).toBeUndefined();
    expect(splitQualifiedName('a.b.c')).toBeUndefined();
  });
});
