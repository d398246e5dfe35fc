import { join } from 'node:path';
import { CHECK_IDS } from '../src/checks/index.js';
import { defineCheck } from '../src/engine/check.js';
import { diagnose } from '../src/diagnose.js';
import { RecordedFetcher } from '../src/evidence/recorded-fetcher.js';
import { SnapshotClusterSource } from '../src/evidence/snapshot-source.js';

const BUNDLE = join(process.cwd(), 'examples', 'seed-httpbin-foo');
const source = () =>
  SnapshotClusterSource.fromFiles([join(BUNDLE, 'cluster.yaml')], [join(BUNDLE, 'httpbin.istio-proxy.log'), join(BUNDLE, 'istio-pilot-discovery.log')]);
const fetcher = () => RecordedFetcher.fromFile(join(BUNDLE, 'issuer-recording.yaml'));
const target = { service: 'httpbin', namespace: 'foo', cluster: 'demo' };

describe('diagnose', () => {
  it('reports every catalogue check, in catalogue order, with the verdict of the first failure', async () => {
    const report = await diagnose({ target, source: source(), fetcher: fetcher(), now: new Date('2026-11-29T10:05:00Z') });
    const ids = report.checks.map((c) => c.id).filter((id, i, all) => all[i - 1] !== id);
    expect(ids).toEqual([...CHECK_IDS]);
    expect(report.version).toBe(1);
    expect(report.target).toEqual(target);
    expect(Object.values(report.counts).reduce((a, b) => a + b, 0)).toBe(report.checks.length);
    // Without a token, the seed case is healthy on the cluster side: the 401s in the log are the signal.
    expect(report.verdict).toMatchObject({ status: 'fail', checkId: 'proxy.responses' });
    expect(report.checks.find((c) => c.id === 'token.format')?.status).toBe('skip');
  });

  it('names the expired token as the cause when the token is given', async () => {
    const { readFileSync } = await import('node:fs');
    const token = readFileSync(join(BUNDLE, 'token.jwt'), 'utf8');
    const report = await diagnose({ target, source: source(), fetcher: fetcher(), token, now: new Date('2026-11-29T10:05:00Z') });
    expect(report.verdict).toMatchObject({ status: 'fail', checkId: 'token.time' });
    expect(report.verdict.summary).toMatch(/expired 1 d 19 h ago/);
    expect(report.checks.find((c) => c.id === 'token.signature')?.status).toBe('pass');
    expect(JSON.stringify(report)).not.toContain(token.trim().split('.')[2]);
    expect(report.tokenFingerprint).toMatch(/^[0-9a-f]{12}$/);
  });

  it('reports each result as soon as it is known (live progress), ending at done = total', async () => {
    const progress: { id: string; done: number; total: number }[] = [];
    const report = await diagnose({
      target, source: source(), fetcher: fetcher(),
      onResult: (result, p) => progress.push({ id: result.id, ...p }),
    });
    expect(progress).toHaveLength(report.checks.length);
    expect(progress.at(-1)).toMatchObject({ done: CHECK_IDS.length, total: CHECK_IDS.length });
    expect(new Set(progress.map((p) => p.id))).toEqual(new Set(CHECK_IDS));
  });

  it('turns a check that reads evidence it did not declare into an error result', async () => {
    const sneaky = defineCheck({
      id: 'test.sneaky', title: 'Sneaky', needs: ['service'],
      run: (ev) => ({ status: ev.pods.ok ? 'pass' : 'fail', detail: 'read pods' }),
    });
    const report = await diagnose({ target, source: source(), fetcher: fetcher() }, [sneaky]);
    expect(report.checks[0]).toMatchObject({ id: 'test.sneaky', status: 'error' });
    expect(report.checks[0]?.detail).toContain('does not list it in needs');
  });
});
