/** Data-plane mode of a workload: sidecar, gateway (classic or Gateway API), ambient, none. */
import { describe, expect, it } from '@jest/globals';
import type { NamespaceInfo, PodInfo } from '../../src/model/index.js';
import { dataPlaneMode, gatewayProxy } from '../../src/istio/workload-mode.js';

const ns: NamespaceInfo = { name: 'foo', exists: true, labels: {} };

function pod(overrides: Partial<PodInfo>): PodInfo {
  return {
    name: 'p-7d9c5b8f4-abcde', namespace: 'foo', labels: {}, annotations: {}, phase: 'Running', ready: true,
    containers: ['istio-proxy'], initContainers: [], restarts: 0, ...overrides,
  };
}

describe('gateway mode', () => {
  it('a Gateway API gateway pod (gateway.networking.k8s.io/gateway-name) is a gateway, named by its Gateway', () => {
    const mode = dataPlaneMode(ns, [pod({ labels: { 'gateway.networking.k8s.io/gateway-name': 'web-gw' } })]);
    expect(mode).toMatchObject({ mode: 'gateway', gateway: { kind: 'gateway-api', names: ['web-gw'] } });
    expect(mode.reason).toContain('Gateway API gateway web-gw');
  });

  it('istio.io/gateway-name (before 1.22) too', () => {
    expect(gatewayProxy(pod({ labels: { 'istio.io/gateway-name': 'web-gw' } }))).toMatchObject({ kind: 'gateway-api', gateway: 'web-gw' });
  });

  it('a classic gateway: istio-proxy args proxy router', () => {
    const classic = pod({ name: 'istio-ingressgateway-5c7d9f8b6-q7w8e', labels: { app: 'istio-ingressgateway' }, proxyArgs: ['proxy', 'router', '--domain', 'x'] });
    expect(dataPlaneMode(ns, [classic])).toMatchObject({ mode: 'gateway', gateway: { kind: 'classic', names: [] } });
  });

  it('a classic gateway without args: the istio=…gateway label or the gateway injection template', () => {
    expect(gatewayProxy(pod({ labels: { istio: 'ingressgateway' } }))).toMatchObject({ kind: 'classic' });
    expect(gatewayProxy(pod({ annotations: { 'inject.istio.io/templates': 'gateway' } }))).toMatchObject({ kind: 'classic' });
  });

  it('a sidecar is not a gateway, even with a gateway-looking label when its args say sidecar', () => {
    const sidecar = pod({ containers: ['app', 'istio-proxy'], labels: { app: 'httpbin' }, proxyArgs: ['proxy', 'sidecar'] });
    expect(gatewayProxy(sidecar)).toBeUndefined();
    expect(gatewayProxy({ ...sidecar, labels: { istio: 'ingressgateway' } })).toBeUndefined();
    expect(dataPlaneMode(ns, [sidecar]).mode).toBe('sidecar');
    expect(gatewayProxy(pod({ containers: ['app'], labels: { 'gateway.networking.k8s.io/gateway-name': 'w' } }))).toBeUndefined();
  });
});
