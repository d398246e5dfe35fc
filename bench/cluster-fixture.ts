/**
 * Synthetic clusters for the benchmarks: the world (httpbin in foo, test/support/world.ts) with a few injected
 * pods behind the target Service, plus as many unrelated pods and policies as asked, so the request plan can be
 * measured against namespace size.
 */
import type { KubeObject } from '../src/model/index.js';
import type { KubeFixture } from '../test/support/kube-api-server.js';
import { world } from '../test/support/world.js';

export const TARGET = { service: 'httpbin', namespace: 'foo', cluster: 'bench' } as const;
export const ROOT_NAMESPACE = 'istio-system';

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
    `"${TARGET.service}.${TARGET.namespace}:8000" "${code === '200' ? '10.244.0.12:8080' : '-'}" inbound|8080|| 127.0.0.6:51123 10.244.0.12:8080 10.244.0.9:40122 ` +
    `outbound_.8000_._.${TARGET.service}.${TARGET.namespace}.svc.cluster.local default`
  );
}

/** The name of target pod i (pod 0 is the one the world's proxy log belongs to). */
export const targetPodName = (i: number): string => `${TARGET.service}-7d9c5b8f4-${String(i).padStart(5, '0')}`;

const ofKind = (fixture: KubeFixture, kind: string): KubeObject => fixture.objects.find((o) => o.kind === kind) as KubeObject;

/** A copy of the world's object under another name, selecting `app` (pods: labelled `app`). */
function copyFor(base: KubeObject, name: string, app: string): KubeObject {
  const copy = structuredClone(base);
  copy.metadata = { ...copy.metadata, name };
  if (copy.kind === 'Pod') copy.metadata.labels = { ...copy.metadata.labels, app };
  else (copy.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels = { app };
  return copy;
}

/** Another app's policies: its own issuer, which is never fetched (only rules that apply to the target are). */
function otherPolicy(fixture: KubeFixture, i: number, app: string): KubeObject {
  if (i % 2 === 0) {
    const ra = copyFor(ofKind(fixture, 'RequestAuthentication'), `jwt-${i}`, app);
    (ra.spec as { jwtRules: unknown[] }).jwtRules = [{ issuer: `https://idp-${i}.example/realms/r${i}`, audiences: [`${app}.${TARGET.namespace}.svc.cluster.local`] }];
    return ra;
  }
  const ap = copyFor(ofKind(fixture, 'AuthorizationPolicy'), `require-jwt-${i}`, app);
  (ap.spec as { rules: unknown[] }).rules = [{ from: [{ source: { requestPrincipals: [`https://idp-${i - 1}.example/realms/r${i - 1}/*`] } }] }];
  return ap;
}

const istiodLog = (): string =>
  Array.from({ length: 3000 }, (_, i) => `2026-11-29T09:${String(30 + (i % 30)).padStart(2, '0')}:12.${String(i % 1000).padStart(3, '0')}Z\tinfo\tads\tPush debounce stable[${i}] 1 for config ServiceEntry/${TARGET.namespace}/x: 100.1ms since last change`).join('\n') + '\n';

/** The world (test/support/world.ts) scaled by `shape`: more target pods, other apps' pods and policies, long logs. */
export function buildCluster(shape: ClusterShape): KubeFixture {
  const proxyLog = Array.from({ length: shape.proxyLogLines }, (_, i) => accessLogLine(i)).join('\n') + '\n';
  const idp = { issuer: shape.issuer, ...(shape.keysVia === 'jwksUri' ? { jwksUri: shape.jwksUri } : {}) };
  const fixture = world(idp, { proxyPod: targetPodName(0), proxyLog, istiodLog: istiodLog() });
  const { objects, logs = {} } = fixture;
  const targetPod = objects.find((o) => o.metadata?.name === targetPodName(0)) as KubeObject;
  for (let i = 1; i < shape.targetPods; i += 1) {
    objects.push(copyFor(targetPod, targetPodName(i), TARGET.service));
    logs[`${TARGET.namespace}/${targetPodName(i)}/istio-proxy`] = proxyLog;
  }
  // Other workloads: 20 pods per app, so the policies below select real (other) apps.
  const otherPods = shape.pods - shape.targetPods;
  for (let i = 0; i < otherPods; i += 1) {
    const app = `app-${Math.floor(i / 20)}`;
    objects.push(copyFor(targetPod, `${app}-6b8f9c7d4-${String(i).padStart(5, '0')}`, app));
  }
  for (let i = 0; i < Math.max(0, shape.policies - 2); i += 1) {
    objects.push(otherPolicy(fixture, i, `app-${i % Math.max(1, Math.ceil(otherPods / 20))}`));
  }
  return { objects, logs };
}
