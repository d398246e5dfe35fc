/**
 * Whether a modern (security.istio.io) RequestAuthentication or AuthorizationPolicy reaches the
 * workload, from its namespace, `selector` and `targetRef(s)` and the workload's data-plane mode.
 * Rules from ISTIO-JWT §2.1 (selector vs targetRefs, waypoints ignore selectors), §2.3 (ztunnel cannot
 * enforce JWT attributes) and §2.4 (root namespace = mesh-wide).
 */
import { formatSelector, matchesSelector } from '../../lib/label-selector.js';
import { asArray, asLabels, asRecord, asString } from '../kube-objects.js';
import type { Applicability, ApplicabilityCode, KubeObject, Labels, ServiceInfo } from '../../model/index.js';
import type { DataPlaneMode } from '../workload-mode.js';

export type TargetRef = { group?: string; kind: string; name: string };

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The GatewayClass every Istio waypoint uses; a root-namespace policy naming it covers all waypoints. */
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';

export interface TargetingContext {
  service: string;
  namespace: string;
  rootNamespace: string;
  serviceInfo?: ServiceInfo;
  /** The label sets a selector is judged on: the running pods, or the Service selector when there are none. */
  workloads: { name: string; labels: Labels }[];
  /** true when `workloads` is the Service selector because no pod was found. */
  judgedOnServiceSelector: boolean;
  mode: DataPlaneMode;
}

export interface Targeting extends Applicability {
  reasonCode: ApplicabilityCode;
  /** Namespace the object lives in (a missing one is taken as the target namespace: files for `kubectl apply -n`). */
  namespace: string;
  selector?: Labels;
  targetRefs: TargetRef[];
}

type ModernKind = 'RequestAuthentication' | 'AuthorizationPolicy';

export function judgeTargeting(obj: KubeObject, kind: ModernKind, ctx: TargetingContext): Targeting {
  const namespace = asString(asRecord(obj.metadata)?.['namespace']) ?? ctx.namespace;
  const spec = asRecord(obj.spec);
  const matchLabels = asLabels(asRecord(spec?.['selector'])?.['matchLabels']);
  const selector = Object.keys(matchLabels).length > 0 ? matchLabels : undefined;
  const targetRefs = readTargetRefs(spec);
  const base = { namespace, targetRefs, ...(selector ? { selector } : {}) };
  const verdict = (reasonCode: ApplicabilityCode, reason: string): Targeting => ({
    ...base,
    applies: reasonCode === 'applies',
    reason,
    reasonCode,
  });

  const isRoot = namespace === ctx.rootNamespace;
  if (namespace !== ctx.namespace && !isRoot) {
    return verdict('other-namespace', `lives in namespace ${namespace}; only policies in ${ctx.namespace} or the root namespace ${ctx.rootNamespace} can apply`);
  }
  if (selector && targetRefs.length > 0) {
    return verdict('selector-and-target-refs', 'sets both selector and targetRefs, which are mutually exclusive (istiod validation rejects it)');
  }

  const { mode } = ctx;
  if (mode.mode === 'gateway') return gatewayVerdict(selector, targetRefs, namespace, isRoot, ctx, verdict);
  if (targetRefs.length > 0) {
    if (mode.mode === 'sidecar') {
      return verdict('target-refs-on-sidecar', `targetRefs binds to a Gateway/waypoint, not to this workload's sidecar; use selector (targets ${describeRefs(targetRefs)})`);
    }
    if (mode.mode === 'none') {
      return verdict('target-refs-without-proxy', `targetRefs binds to a Gateway/waypoint, and no Istio proxy serves ${ctx.service} (${mode.reason})`);
    }
    if (!mode.waypoint) return verdict('ambient-without-waypoint', noWaypointReason(kind, ctx));
    const hit = targetRefs.map((ref) => refReachesWaypoint(ref, namespace, ctx)).find((r) => r !== undefined);
    if (hit) return verdict('applies', hit);
    return verdict('target-refs-miss', `targetRefs names ${describeRefs(targetRefs)}: neither Service ${ctx.service} in ${ctx.namespace} nor its waypoint ${mode.waypoint}`);
  }

  if (mode.mode === 'ambient') {
    if (!mode.waypoint) return verdict('ambient-without-waypoint', noWaypointReason(kind, ctx));
    // ISTIO-JWT §2.1: "Waypoint proxies ignore selector-based policies; they need targetRefs".
    return verdict('waypoint-ignores-selector', `waypoint ${mode.waypoint} ignores selector-based policies; bind it with targetRefs (kind Service, name ${ctx.service})`);
  }

  const judged = selectorVerdict(selector, isRoot, ctx);
  const noProxy = mode.mode === 'none' ? ` (but no Istio proxy serves ${ctx.service}, so nothing enforces it)` : '';
  return verdict(judged.applies ? 'applies' : 'selector-mismatch', judged.reason + noProxy);
}

/**
 * ISTIO-JWT §2.1, §6 IST0166: a Gateway API gateway takes policies whose targetRefs name its Gateway (same
 * namespace); a selector matching its pods is ineffective. A classic gateway (istio-ingressgateway) is selected
 * like any workload and is no Gateway API object, so targetRefs cannot reach it.
 */
function gatewayVerdict(
  selector: Labels | undefined,
  targetRefs: TargetRef[],
  policyNs: string,
  isRoot: boolean,
  ctx: TargetingContext,
  verdict: (code: ApplicabilityCode, reason: string) => Targeting,
): Targeting {
  const gw = ctx.mode.gateway ?? { kind: 'classic' as const, names: [] };
  const names = gw.names.join(', ');
  if (gw.kind === 'classic') {
    if (targetRefs.length > 0) {
      return verdict('target-refs-on-classic-gateway', `targetRefs names ${describeRefs(targetRefs)}, but ${ctx.service} is a classic Istio gateway (not a Gateway API Gateway): it is bound by selector, not targetRefs`);
    }
    const judged = selectorVerdict(selector, isRoot, ctx);
    return verdict(judged.applies ? 'applies' : 'selector-mismatch', `${judged.reason} (classic gateway: selectors apply as on a sidecar)`);
  }
  if (targetRefs.length > 0) {
    const hit = targetRefs.find(
      (ref) => ref.kind === 'Gateway' && ref.group === GATEWAY_API_GROUP && gw.names.includes(ref.name),
    );
    if (hit && policyNs === ctx.namespace) {
      return verdict('applies', `targetRefs names Gateway ${hit.name}, whose pods serve ${ctx.service}`);
    }
    if (hit) {
      return verdict('other-namespace', `targetRefs names Gateway ${hit.name}, but a policy binds only a Gateway of its own namespace (${ctx.namespace}), and this one lives in ${policyNs}`);
    }
    return verdict('target-refs-miss', `targetRefs names ${describeRefs(targetRefs)}, not Gateway ${names} (group ${GATEWAY_API_GROUP}) whose pods serve ${ctx.service}`);
  }
  if (!selector) {
    const judged = selectorVerdict(selector, isRoot, ctx);
    return verdict('applies', `${judged.reason}, including the pods of Gateway ${names}`);
  }
  const judged = selectorVerdict(selector, isRoot, ctx);
  if (!judged.applies) return verdict('selector-mismatch', judged.reason);
  return verdict(
    'gateway-ignores-selector',
    `${judged.reason}, but those are the pods of Gateway API Gateway ${names}: a selector on them is ineffective (istioctl analyze IST0166); use targetRefs: [{group: ${GATEWAY_API_GROUP}, kind: Gateway, name: ${gw.names[0] ?? ''}}]`,
  );
}

function selectorVerdict(selector: Labels | undefined, isRoot: boolean, ctx: TargetingContext): Applicability {
  if (!selector) {
    return {
      applies: true,
      reason: isRoot
        ? `no selector in the root namespace ${ctx.rootNamespace}: applies mesh-wide`
        : `no selector: applies to every workload in ${ctx.namespace}`,
    };
  }
  const wanted = formatSelector(selector);
  const scope = isRoot ? ` (root namespace ${ctx.rootNamespace}: the selector matches pods in every namespace)` : '';
  const basis = ctx.judgedOnServiceSelector ? ' (no pods: judged on the Service selector)' : '';
  if (ctx.workloads.length === 0) {
    return { applies: false, reason: `selector ${wanted} cannot be judged: no pods and no Service selector` };
  }
  const match = ctx.workloads.find((w) => matchesSelector(selector, w.labels));
  if (match) {
    return { applies: true, reason: `selector ${wanted} matches ${match.name}${scope}${basis}` };
  }
  const first = ctx.workloads[0]?.labels ?? {};
  const who = ctx.judgedOnServiceSelector ? 'the Service selector has' : 'pods have';
  const key = Object.keys(selector).sort().find((k) => first[k] !== selector[k]) ?? '';
  const have = first[key] === undefined ? `no ${key} label` : `${key}=${first[key]}`;
  return { applies: false, reason: `selector wants ${key}=${selector[key] ?? ''}, ${who} ${have}${scope}${basis}` };
}

/** A waypoint takes policies bound to the Service it serves, to its own Gateway, or to the waypoint class. */
function refReachesWaypoint(ref: TargetRef, policyNs: string, ctx: TargetingContext): string | undefined {
  const { mode } = ctx;
  const group = ref.group ?? '';
  if (ref.kind === 'Service' && (group === '' || group === 'core') && ref.name === ctx.service && policyNs === ctx.namespace) {
    return `targetRefs names Service ${ctx.service}, whose traffic goes through waypoint ${mode.waypoint ?? ''}`;
  }
  const waypointNs = mode.waypointNamespace ?? ctx.namespace;
  if (ref.kind === 'Gateway' && group === GATEWAY_API_GROUP && ref.name === mode.waypoint && policyNs === waypointNs) {
    return `targetRefs names Gateway ${ref.name}, the waypoint of ${ctx.service}`;
  }
  if (ref.kind === 'GatewayClass' && group === GATEWAY_API_GROUP && ref.name === WAYPOINT_GATEWAY_CLASS && policyNs === ctx.rootNamespace) {
    return `targetRefs names GatewayClass ${WAYPOINT_GATEWAY_CLASS} in the root namespace: applies to every waypoint, including ${mode.waypoint ?? ''}`;
  }
  return undefined;
}

function noWaypointReason(kind: ModernKind, ctx: TargetingContext): string {
  const fix = `add a waypoint (label istio.io/use-waypoint) and bind the policy with targetRefs`;
  if (kind === 'AuthorizationPolicy') {
    // ISTIO-JWT §2.3: ztunnel drops requestPrincipals/request.auth.* (condition ZtunnelAccepted=False UnsupportedValue).
    return `${ctx.service} is in ambient mode without a waypoint: ztunnel cannot enforce JWT (requestPrincipals, request.auth.*; ALLOW rules using them are dropped); ${fix}`;
  }
  return `${ctx.service} is in ambient mode without a waypoint: ztunnel cannot enforce JWT; ${fix}`;
}

/** `targetRefs` (1.22+) plus the older singular `targetRef` (1.20+), ISTIO-JWT §0. */
function readTargetRefs(spec: Record<string, unknown> | undefined): TargetRef[] {
  const raw = [...(asArray(spec?.['targetRefs']) ?? []), ...(spec?.['targetRef'] !== undefined ? [spec['targetRef']] : [])];
  return raw.flatMap((value) => {
    const ref = asRecord(value);
    const kind = asString(ref?.['kind']);
    const name = asString(ref?.['name']);
    if (kind === undefined || name === undefined) return [];
    const group = asString(ref?.['group']);
    return [group === undefined ? { kind, name } : { group, kind, name }];
  });
}

function describeRefs(refs: TargetRef[]): string {
  return refs.map((r) => `${r.kind} ${r.name}`).join(', ');
}
