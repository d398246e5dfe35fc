import { defineCheck, type CheckResult } from '../../src/engine/check.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { decideVerdict, countStatuses } from '../../src/engine/report.js';
import { context, healthyEvidence } from '../support/evidence.js';

const readsPods = defineCheck({
  id: 'test.pods',
  title: 'Pods are there',
  needs: ['pods'],
  run: (ev) => ({ status: 'pass', detail: `${ev.pods.ok ? ev.pods.value.length : 0} pods` }),
});

describe('runCheck', () => {
  it('runs the check over the evidence it needs', () => {
    const [result] = runCheck(readsPods, healthyEvidence(), context());
    expect(result).toMatchObject({ id: 'test.pods', status: 'pass', title: 'Pods are there', detail: '1 pods' });
  });

  it('reports error with the reason and a fix when a needed slot could not be read', () => {
    const ev = { ...healthyEvidence(), pods: { ok: false as const, error: { code: 'forbidden' as const, message: 'jwtcheck may not list pods in namespace foo' } } };
    const [result] = runCheck(readsPods, ev, context());
    expect(result?.status).toBe('error');
    expect(result?.detail).toContain('may not list pods');
    expect(result?.fix).toMatch(/read access/);
  });

  it('reports skip when there was nothing to read (unavailable)', () => {
    const ev = { ...healthyEvidence(), pods: { ok: false as const, error: { code: 'unavailable' as const, message: 'No pod runs istio-proxy.' } } };
    const [result] = runCheck(readsPods, ev, context());
    expect(result).toMatchObject({ status: 'skip', detail: 'No pod runs istio-proxy.' });
  });

  it('turns a check that throws into an error result; it does not throw', () => {
    const broken = defineCheck({ id: 'test.broken', title: 'Broken', needs: [], run: () => { throw new Error('boom'); } });
    const [result] = runCheck(broken, healthyEvidence(), context());
    expect(result).toMatchObject({ status: 'error' });
    expect(result?.detail).toContain('boom');
  });

  it('gives one result per outcome, each with the check id and docs', () => {
    const many = defineCheck({
      id: 'test.many', title: 'Many', docs: 'https://istio.io/x', needs: [],
      run: () => [{ status: 'pass', subject: 'a', detail: 'a' }, { status: 'fail', subject: 'b', detail: 'b', fix: 'do b' }],
    });
    const results = runCheck(many, healthyEvidence(), context());
    expect(results.map((r) => [r.id, r.subject, r.status, r.docs])).toEqual([
      ['test.many', 'a', 'pass', 'https://istio.io/x'],
      ['test.many', 'b', 'fail', 'https://istio.io/x'],
    ]);
  });
});

describe('decideVerdict', () => {
  const r = (id: string, status: CheckResult['status']): CheckResult => ({ id, status, title: id, detail: `${id} detail` });

  it('is the first fail even when an error or a warn comes earlier', () => {
    const results = [r('a', 'warn'), r('b', 'error'), r('c', 'fail'), r('d', 'fail')];
    expect(decideVerdict(results)).toMatchObject({ status: 'fail', checkId: 'c', summary: 'c detail' });
  });

  it('is the first error when nothing failed, then the first warn, else pass', () => {
    expect(decideVerdict([r('a', 'warn'), r('b', 'error')])).toMatchObject({ status: 'error', checkId: 'b' });
    expect(decideVerdict([r('a', 'skip'), r('b', 'warn')])).toMatchObject({ status: 'warn', checkId: 'b' });
    expect(decideVerdict([r('a', 'pass'), r('b', 'skip')])).toMatchObject({ status: 'pass' });
  });

  it('counts every status', () => {
    expect(countStatuses([r('a', 'pass'), r('b', 'pass'), r('c', 'skip')])).toEqual({ pass: 2, fail: 0, warn: 0, skip: 1, error: 0 });
  });
});
