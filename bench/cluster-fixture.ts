/**
 * Synthetic clusters for the benchmarks: one target Service (`checkout` in `shop`) with a few injected pods,
 * plus as many unrelated pods and policies as asked, so the request plan can be measured against namespace size.
 */
import type { KubeObject } from '../src/model/index.js';
import type { KubeFixture } from '../test/support/kube-api-server.js';

export const TARGET = { service: 'checkout', namespace: 'shop', cluster: 'bench' } as const;
export const ROOT_NAMESPACE = 'istio-system';
const ISTIOD_POD = 'istiod-5f8d9c7b6-q2w3e';
const PROXY_IMAGE = 'docker.io/istio/proxyv2:1.22.3';

export interface ClusterShape {
  /** Pods in the target namespace in total (target pods included). */
  pods: number;
  /** Pods the Service selects (each runs istio-proxy and has a proxy log). */
  targetPods: number;
  /** RequestAuthentications + AuthorizationPolicies in the target namespace in total (half each). */
  policies: number;
  /** The applying RequestAuthentication names only `issuer` (keys through discovery) or also `jwksUri`. */
  keysVia: 'discovery' | 'jwksUri';
  issuer: string;
  jwksUri: string;
  /** Lines of access log per target pod (the kubelet tail keeps the last --log-lines of them). */
  proxyLogLines: number;
}

/** One istio-proxy access-log line in Istio's default TEXT format (1.9+), with response-code details. */
export function accessLogLine(i: number, startMs = Date.UTC(2026, 10, 29, 9, 0, 0)): string {
  const at = new Date(startMs + i * 37).toISOString();
  const roll = i % 20;
  const [code, details, flags, sent] =
    roll < 16
      ? (['200', 'via_upstream', '-', 519] as const)
      : roll < 18
        ? (['401', 'jwt_authn_access_denied{Jwt_is_expired}', '-', 14] as const)
        : roll < 19
          ? (['403', 'rbac_access_denied_matched_policy[none]', '-', 19] as const)
          : (['401', 'jwt_authn_access_denied{Jwks_doesn\'t_have_key_to_match_kid_or_alg_from_Jwt}', '-', 14] as const);
  const path = roll % 3 === 0 ? `/api/v1/orders/${i % 9973}?page=${i % 7}` : '/headers';
  return (
    `[${at}] "GET ${path} HTTP/1.1" ${code} ${flags} ${details} - "-" 0 ${sent} ${3 + (i % 11)} ${code === '200' ? 2 + (i % 5) : '-'} ` +
    `"10.244.0.${i % 250}" "curl/8.7.1" "5c0e6d2a-${(i * 7919).toString(16).padStart(8, '0')}-4b1d-9f3e-${i.toString(16).padStart(12, '0')}" ` +
    `"checkout.shop:8000" "${code === '200' ? '10.244.0.12:8080' : '-'}" inbound|8080|| 127.0.0.6:51123 10.244.0.12:8080 10.244.0.9:40122 ` +
    `outbound_.8000_._.checkout.shop.svc.cluster.local default`
  );
}

function pod(name: string, app: string, proxy: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: TARGET.namespace,
      labels: { app, version: 'v1', 'pod-template-hash': '7d9c5b8f4', 'security.istio.io/tlsMode': 'istio' },
      annotations: { 'sidecar.istio.io/status': '{"initContainers":["istio-init"],"containers":["istio-proxy"]}' },
    },
    spec: {
      serviceAccountName: app,
      initContainers: [{ name: 'istio-init', image: PROXY_IMAGE }],
      containers: [
        { name: app, image: `registry.example/${app}:1.0.0`, ports: [{ containerPort: 8080, protocol: 'TCP' }] },
        ...(proxy ? [{ name: 'istio-proxy', image: PROXY_IMAGE }] : []),
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.244.0.12',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
      ],
      containerStatuses: [
        { name: app, ready: true, restartCount: 0, started: true, state: { running: { startedAt: '2026-11-29T09:41:00Z' } } },
        ...(proxy ? [{ name: 'istio-proxy', ready: true, restartCount: 0, started: true, state: { running: { startedAt: '2026-11-29T09:41:01Z' } } }] : []),
      ],
    },
  };
}

function requestAuthentication(name: string, app: string, rule: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'RequestAuthentication',
    metadata: { name, namespace: TARGET.namespace },
    spec: { selector: { matchLabels: { app } }, jwtRules: [rule] },
  };
}

function authorizationPolicy(name: string, app: string, issuer: string): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: TARGET.namespace },
    spec: {
      selector: { matchLabels: { app } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { requestPrincipals: [`${issuer}/*`] } }], to: [{ operation: { methods: ['GET'], paths: ['/api/*'] } }] }],
    },
  };
}

export function buildCluster(shape: ClusterShape): KubeFixture {
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: TARGET.namespace, labels: { 'istio-injection': 'enabled' } } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ROOT_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: TARGET.service, namespace: TARGET.namespace, labels: { app: TARGET.service } },
      spec: { selector: { app: TARGET.service }, ports: [{ name: 'http', port: 8000, targetPort: 8080 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: ISTIOD_POD, namespace: ROOT_NAMESPACE, labels: { app: 'istiod', istio: 'pilot' } },
      spec: { containers: [{ name: 'discovery', image: 'docker.io/istio/pilot:1.22.3' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    },
  ];
  const logs: Record<string, string> = {};
  const proxyLog = Array.from({ length: shape.proxyLogLines }, (_, i) => accessLogLine(i)).join('\n') + '\n';
  for (let i = 0; i < shape.targetPods; i += 1) {
    const name = `${TARGET.service}-7d9c5b8f4-${String(i).padStart(5, '0')}`;
    objects.push(pod(name, TARGET.service, true));
    logs[`${TARGET.namespace}/${name}/istio-proxy`] = proxyLog;
  }
  // Other workloads: 20 pods per app, so the policies below select real (other) apps.
  for (let i = 0; i < shape.pods - shape.targetPods; i += 1) {
    objects.push(pod(`app-${Math.floor(i / 20)}-6b8f9c7d4-${String(i).padStart(5, '0')}`, `app-${Math.floor(i / 20)}`, true));
  }
  const rule = { issuer: shape.issuer, ...(shape.keysVia === 'jwksUri' ? { jwksUri: shape.jwksUri } : {}), audiences: ['checkout.shop.svc.cluster.local'] };
  objects.push(requestAuthentication('checkout-jwt', TARGET.service, rule), authorizationPolicy('checkout-require-jwt', TARGET.service, shape.issuer));
  const others = Math.max(0, shape.policies - 2);
  for (let i = 0; i < others; i += 1) {
    const app = `app-${i % Math.max(1, Math.ceil((shape.pods - shape.targetPods) / 20))}`;
    if (i % 2 === 0) {
      // Other apps' issuers are never fetched: only rules that apply to the target are.
      objects.push(requestAuthentication(`jwt-${i}`, app, { issuer: `https://idp-${i}.example/realms/r${i}`, audiences: [`${app}.shop.svc.cluster.local`] }));
    } else {
      objects.push(authorizationPolicy(`require-jwt-${i}`, app, `https://idp-${i - 1}.example/realms/r${i - 1}`));
    }
  }
  logs[`${ROOT_NAMESPACE}/${ISTIOD_POD}/discovery`] =
    Array.from({ length: 3000 }, (_, i) => `2026-11-29T09:${String(30 + (i % 30)).padStart(2, '0')}:12.${String(i % 1000).padStart(3, '0')}Z\tinfo\tads\tPush debounce stable[${i}] 1 for config ServiceEntry/shop/x: 100.1ms since last change`).join('\n') + '\n';
  return { objects, logs };
}
