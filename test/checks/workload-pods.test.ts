import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/workload-pods.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, pod } from '../support/evidence.js';
import type { ServiceInfo } from '../../src/model/index.js';

function withService(patch: Partial<ServiceInfo>) {
  const ev = healthyEvidence();
  if (!ev.service.ok || !ev.service.value.service) throw new Error('fixture');
  ev.service = ok({ service: { ...ev.service.value.service, ...patch }, nearNames: [] });
  return ev;
}

describe('workload.pods', () => {
  it('passes with a running, ready pod', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('httpbin-7d9c5b8f4-abcde');
  });

  it('fails when the selector matches no pod', () => {
    const ev = healthyEvidence();
    ev.pods = ok([]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('selector app=httpbin matches no pod');
    expect(r?.fix).toContain('--show-labels');
  });

  it('fails when the pods have other labels', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({ labels: { app: 'httpbin-v2' } })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('app=httpbin-v2');
  });

  it('fails naming the waiting reason when no pod is ready', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({ ready: false, waitingReason: 'CrashLoopBackOff', restarts: 12 })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('CrashLoopBackOff');
    expect(r?.detail).toContain('12 restarts');
    expect(r?.fix).toContain('kubectl describe pod httpbin-7d9c5b8f4-abcde -n foo');
  });

  it('passes but mentions pods that are not ready', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod(), pod({ name: 'httpbin-7d9c5b8f4-zzzzz', phase: 'Pending', ready: false, waitingReason: 'ImagePullBackOff' })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('1 of 2 pods');
    expect(r?.detail).toContain('ImagePullBackOff');
  });

  it('warns when the Service has no selector', () => {
    const [r] = runCheck(check, withService({ selector: undefined }), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('no selector');
  });

  it('passes for template pods from an offline snapshot', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({ phase: 'Unknown', ready: false, annotations: { 'jwtcheck.io/from-template': 'Deployment/httpbin' } })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('matches the pod template of Deployment/httpbin (offline snapshot)');
    expect(r?.detail).toContain('running state not known');
  });

  it('names a template pod\'s workload once, whatever its kind', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({ phase: 'Unknown', ready: false, annotations: { 'jwtcheck.io/from-template': 'StatefulSet/httpbin' } })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('pod template of StatefulSet/httpbin (offline snapshot)');
    expect(r?.detail).not.toContain('Deployment');
    expect(r?.detail?.match(/template/g)).toHaveLength(1);
  });

  it('skips when the Service is missing', () => {
    const ev = healthyEvidence();
    ev.service = ok({ service: undefined, nearNames: [] });
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('skip');
  });
});
