// Verifies that every Service port is HTTP to Istio, by port name prefix or appProtocol (appProtocol wins).
// Istio adds the jwt_authn filter only to HTTP filter chains: on a port it treats as TCP, no JWT rule applies and
// tokens are never checked (ISTIO-JWT §1.3, §7.13; istioctl analyze IST0118; istio.io protocol selection).
import { defineCheck } from '../engine/check.js';
import type { PodInfo, ServicePort } from '../model/index.js';
import { gatewayProxy } from '../istio/workload-mode.js';
import { listSome } from './lib/policy.js';

const HTTP_NAMES = ['http', 'http2', 'https', 'grpc', 'grpc-web'];
const HTTP_APP_PROTOCOLS = ['http', 'http2', 'https', 'grpc', 'grpc-web', 'h2c', 'kubernetes.io/h2c'];
/** Names/appProtocols Istio maps to a non-HTTP protocol explicitly (no sniffing happens then). */
const NON_HTTP_NAMES = ['tcp', 'tls', 'udp', 'mongo', 'mysql', 'redis'];

type Verdict = { http: true; via: string } | { http: false; explicit: boolean; why: string };

function protocolOf(name: string): string {
  const lower = name.toLowerCase();
  if (lower === 'grpc-web' || lower.startsWith('grpc-web-')) return 'grpc-web';
  return lower.split('-')[0] ?? lower;
}

export function portVerdict(p: ServicePort): Verdict {
  if (p.appProtocol) {
    const ap = p.appProtocol.toLowerCase();
    if (HTTP_APP_PROTOCOLS.includes(ap)) return { http: true, via: `appProtocol ${p.appProtocol}` };
    return { http: false, explicit: true, why: `appProtocol ${p.appProtocol}: Istio treats it as ${ap.toUpperCase()}, no JWT rule applies` };
  }
  if (!p.name) {
    return { http: false, explicit: false, why: 'unnamed: Istio sniffs the protocol, and anything it does not detect as HTTP (server-first, TLS) gets no JWT rule' };
  }
  const proto = protocolOf(p.name);
  if (HTTP_NAMES.includes(proto)) return { http: true, via: `name ${p.name}` };
  if (NON_HTTP_NAMES.includes(proto)) {
    return { http: false, explicit: true, why: `Istio treats it as ${proto.toUpperCase()}, no JWT rule applies` };
  }
  return { http: false, explicit: false, why: 'no protocol prefix: Istio sniffs the protocol, and traffic not detected as HTTP gets no JWT rule' };
}

export default defineCheck({
  id: 'workload.http-port',
  title: 'Service ports are HTTP to Istio',
  docs: 'https://istio.io/latest/docs/ops/configuration/traffic-management/protocol-selection/',
  needs: ['service'],
  uses: ['pods'],
  run(evidence, ctx) {
    const svc = evidence.service.ok ? evidence.service.value.service : undefined;
    if (!svc) return { status: 'skip', detail: `Service ${ctx.target.service} not found: see workload.service.` };
    const ports = svc.ports.filter((p) => (p.protocol ?? 'TCP').toUpperCase() === 'TCP');
    if (ports.length === 0) return { status: 'skip', detail: `Service ${svc.name} has no TCP port.` };
    const label = (p: ServicePort): string => `port ${p.port}${p.name ? ` '${p.name}'` : ''}`;
    const gateway = gatewayNote(evidence.pods.ok ? evidence.pods.value : [], ports, label);
    if (gateway) return { status: 'pass', detail: gateway };
    const bad: string[] = [];
    const good: string[] = [];
    const tlsNotes: string[] = [];
    for (const p of ports) {
      const v = portVerdict(p);
      if (v.http) {
        good.push(`${label(p)} (${v.via})`);
        if (protocolOf(p.appProtocol ?? p.name ?? '') === 'https') tlsNotes.push(`${p.port}`);
      } else bad.push(`${label(p)}: ${v.why}`);
    }
    if (bad.length > 0) {
      return {
        status: 'warn',
        detail: `${listSome(bad, 3)}${good.length > 0 ? ` (HTTP: ${listSome(good, 3)})` : ''}.`,
        fix: `In Service ${ctx.target.namespace}/${svc.name}, rename the port to http-<suffix> (or http2-/grpc-) or set appProtocol: http on it (kubectl edit svc ${svc.name} -n ${ctx.target.namespace}).`,
      };
    }
    const tls = tlsNotes.length > 0 ? `; on https port ${tlsNotes.join(', ')} JWT is seen only where TLS ends at an Istio proxy (a gateway), not when the app terminates TLS` : '';
    return { status: 'pass', detail: `Every port is HTTP to Istio: ${listSome(good, 4)}${tls}.` };
  },
});

/** Istio's status port on every proxy (readiness: /healthz/ready); plain HTTP that Envoy answers itself. */
const STATUS_PORT = 15021;

/**
 * ISTIO-JWT §7.13 concerns sidecars: in front of a gateway (every pod with a proxy runs it as `router`), the
 * protocol of a listener comes from the Gateway's servers/listeners, not from the Service port names, and 15021 is
 * the status port load balancers probe. So the names prove nothing either way: a note instead of a warning.
 */
function gatewayNote(pods: PodInfo[], ports: ServicePort[], label: (p: ServicePort) => string): string | undefined {
  const withProxy = pods.filter((p) => p.containers.includes('istio-proxy'));
  const kinds = withProxy.map(gatewayProxy);
  if (withProxy.length === 0 || kinds.some((k) => k === undefined)) return undefined;
  const apiManaged = kinds.find((k) => k?.kind === 'gateway-api');
  const what = apiManaged?.gateway ? `Gateway API gateway ${apiManaged.gateway}` : 'an Istio gateway';
  const where = apiManaged ? `the Gateway's spec.listeners[].protocol` : `the servers[].port.protocol of the Gateway resources selecting it`;
  const status = ports.filter((p) => p.port === STATUS_PORT || p.name === 'status-port');
  const traffic = ports.filter((p) => !status.includes(p));
  const statusNote = status.length > 0 ? `; ${listSome(status.map(label), 2)} is the status (readiness) port, not traffic` : '';
  return `The pods are ${what}: the protocol of ${listSome(traffic.map(label), 4) || 'its ports'} comes from ${where}, not from the Service port names (JWT applies on HTTP/HTTPS servers)${statusNote}.`;
}
