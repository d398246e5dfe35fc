import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/workload-sidecar.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, pod } from '../support/evidence.js';

const noProxy = (name = 'httpbin-7d9c5b8f4-abcde') =>
  pod({ name, containers: ['httpbin'], initContainers: [], annotations: {} });

describe('workload.sidecar', () => {
  it('passes when every pod runs istio-proxy', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('istio-proxy');
  });

  it('passes for a native sidecar (init container)', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({ containers: ['httpbin'], initContainers: ['istio-init', 'istio-proxy'] })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('native sidecar');
  });

  it('fails when no pod has a sidecar and names the restart', () => {
    const ev = healthyEvidence();
    ev.pods = ok([noProxy()]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('predates injection');
    expect(r?.fix).toContain('kubectl rollout restart deploy/httpbin -n foo');
  });

  it('says when injection is disabled on the pod', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({ containers: ['httpbin'], initContainers: [], annotations: { 'sidecar.istio.io/inject': 'false' } })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('sidecar.istio.io/inject: "false"');
    expect(r?.fix).toContain('Remove sidecar.istio.io/inject');
  });

  it('suggests labelling the namespace when it is not injected', () => {
    const ev = healthyEvidence();
    ev.namespace = ok({ name: 'foo', exists: true, labels: {} });
    ev.pods = ok([noProxy()]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.fix).toContain('kubectl label namespace foo istio-injection=enabled');
  });

  it('warns when only some pods have the sidecar', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod(), noProxy('httpbin-5f6d7c8b9-old11')]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('httpbin-5f6d7c8b9-old11');
    expect(r?.fix).toContain('rollout restart deploy/httpbin');
  });

  it('passes in ambient with a waypoint on the Service', () => {
    const ev = healthyEvidence();
    ev.namespace = ok({ name: 'foo', exists: true, labels: { 'istio.io/dataplane-mode': 'ambient' } });
    ev.pods = ok([noProxy()]);
    if (ev.service.ok && ev.service.value.service) ev.service.value.service.labels['istio.io/use-waypoint'] = 'waypoint';
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('waypoint waypoint');
  });

  it('fails in ambient without a waypoint', () => {
    const ev = healthyEvidence();
    ev.namespace = ok({ name: 'foo', exists: true, labels: { 'istio.io/dataplane-mode': 'ambient' } });
    ev.pods = ok([noProxy()]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('fail');
    expect(r?.detail).toContain('ztunnel cannot enforce RequestAuthentication');
    expect(r?.fix).toContain('istioctl waypoint apply -n foo --enroll-namespace');
  });

  it('skips without pods', () => {
    const ev = healthyEvidence();
    ev.pods = ok([]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('skip');
  });

  it('passes for a Gateway API gateway pod: it runs istio-proxy as the gateway itself', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({ name: 'web-gw-istio-6d8f7c9b5-k2l3m', labels: { app: 'httpbin', 'gateway.networking.k8s.io/gateway-name': 'web-gw' }, annotations: {}, containers: ['istio-proxy'], initContainers: [] })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('Gateway API gateway web-gw');
    expect(r?.detail).toContain('targetRefs');
  });

  it('passes for a classic gateway pod (istio-ingressgateway, proxy router, injection disabled)', () => {
    const ev = healthyEvidence();
    ev.pods = ok([pod({
      name: 'istio-ingressgateway-5c7d9f8b6-q7w8e', labels: { app: 'httpbin', istio: 'ingressgateway' },
      annotations: { 'sidecar.istio.io/inject': 'false' }, containers: ['istio-proxy'], initContainers: [], proxyArgs: ['proxy', 'router'],
    })]);
    const [r] = runCheck(check, ev, context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('classic Istio gateway');
  });
});
