import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/workload-service.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok } from '../support/evidence.js';

describe('workload.service', () => {
  it('passes when the Service exists', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('foo/httpbin');
    expect(r?.detail).toContain('http/8000');
  });

  it('fails with near names when the Service is missing', () => {
    const ev = healthyEvidence();
    ev.service = ok({ service: undefined, nearNames: ['httpbin-v2'] });
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('did you mean httpbin-v2?');
    expect(r?.fix).toContain('kubectl get svc -n foo');
  });

  it('says when the namespace itself does not exist', () => {
    const ev = healthyEvidence();
    ev.service = ok({ service: undefined, nearNames: [] });
    ev.namespace = ok({ name: 'foo', exists: false, labels: {} });
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('Namespace foo does not exist');
    expect(r?.fix).toContain('kubectl get namespaces');
  });

  it('reports error when the Service read failed', () => {
    const ev = healthyEvidence();
    ev.service = { ok: false, error: { code: 'forbidden', message: 'services is forbidden' } };
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('error');
  });
});
