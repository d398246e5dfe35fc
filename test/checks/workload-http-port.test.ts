import { describe, expect, it } from '@jest/globals';
import check from '../../src/checks/workload-http-port.js';
import { runCheck } from '../../src/engine/run-checks.js';
import { context, healthyEvidence, ok, pod } from '../support/evidence.js';
import type { ServicePort } from '../../src/model/index.js';

function withPorts(ports: ServicePort[]) {
  const ev = healthyEvidence();
  if (!ev.service.ok || !ev.service.value.service) throw new Error('fixture');
  ev.service = ok({ service: { ...ev.service.value.service, ports }, nearNames: [] });
  return ev;
}

describe('workload.http-port', () => {
  it('passes for a port named http', () => {
    const [r] = runCheck(check, healthyEvidence(), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain("port 8000 'http'");
  });

  it('passes for http- and grpc-web- prefixes and appProtocol', () => {
    const [r] = runCheck(
      check,
      withPorts([
        { name: 'http-web', port: 80 },
        { name: 'grpc-web-x', port: 81 },
        { name: 'tcp-api', port: 82, appProtocol: 'kubernetes.io/h2c' },
      ]),
      context(),
    );
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('appProtocol kubernetes.io/h2c');
  });

  it('warns on a tcp-named port', () => {
    const [r] = runCheck(check, withPorts([{ name: 'tcp-web', port: 8000 }]), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain("port 8000 'tcp-web': Istio treats it as TCP, no JWT rule applies");
    expect(r?.fix).toContain('appProtocol: http');
  });

  it('lets appProtocol win over an http name', () => {
    const [r] = runCheck(check, withPorts([{ name: 'http', port: 8000, appProtocol: 'tcp' }]), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('appProtocol tcp');
  });

  it('warns on unnamed ports mentioning protocol sniffing', () => {
    const [r] = runCheck(check, withPorts([{ port: 8080 }]), context());
    expect(r?.status).toBe('warn');
    expect(r?.detail).toContain('sniffs');
  });

  it('does not treat httpx as http', () => {
    const [r] = runCheck(check, withPorts([{ name: 'httpx', port: 8080 }]), context());
    expect(r?.status).toBe('warn');
  });

  it('notes that https means TLS the proxy may not terminate', () => {
    const [r] = runCheck(check, withPorts([{ name: 'https', port: 8443 }]), context());
    expect(r?.status).toBe('pass');
    expect(r?.detail).toContain('TLS');
  });

  describe('in front of a gateway (ports decided by the Gateway, 15021 = status port)', () => {
    const gatewayPorts: ServicePort[] = [
      { name: 'status-port', port: 15021, targetPort: 15021 },
      { name: 'tcp-web', port: 80, targetPort: 8080 },
      { port: 443, targetPort: 8443 },
    ];
    it('passes with a note for a Gateway API gateway', () => {
      const ev = withPorts(gatewayPorts);
      ev.pods = ok([pod({ name: 'web-gw-istio-6d8f7c9b5-k2l3m', labels: { 'gateway.networking.k8s.io/gateway-name': 'web-gw' }, containers: ['istio-proxy'], initContainers: [] })]);
      const [r] = runCheck(check, ev, context());
      expect(r?.status).toBe('pass');
      expect(r?.detail).toContain('Gateway API gateway web-gw');
      expect(r?.detail).toContain('spec.listeners[].protocol');
      expect(r?.detail).toContain("port 15021 'status-port' is the status (readiness) port");
    });
    it('passes with a note for a classic gateway (proxy router)', () => {
      const ev = withPorts(gatewayPorts);
      ev.pods = ok([pod({ name: 'istio-ingressgateway-5c7d9f8b6-q7w8e', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' }, containers: ['istio-proxy'], initContainers: [], proxyArgs: ['proxy', 'router'] })]);
      const [r] = runCheck(check, ev, context());
      expect(r?.status).toBe('pass');
      expect(r?.detail).toContain('servers[].port.protocol');
    });
    it('still warns for sidecar pods, and runs when the pods could not be read', () => {
      const ev = withPorts(gatewayPorts);
      expect(runCheck(check, ev, context())[0]?.status).toBe('warn');
      ev.pods = { ok: false, error: { code: 'forbidden', message: 'pods is forbidden' } };
      expect(runCheck(check, ev, context())[0]?.status).toBe('warn');
    });
  });
});
