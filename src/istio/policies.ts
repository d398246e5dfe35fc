/**
 * Turns the raw policy objects of one diagnosis into the normalised `PolicySet` the checks read
 * (DESIGN §3: policy.jwt-rules, policy.require-token, policy.legacy-api, …). Each object gets
 * `applies` + a reason a user can act on; JWT rules are listed whether they apply or not.
 * Semantics: ISTIO-JWT §1 (legacy), §2.1–§2.4 (modern), via ./policies/*.
 */
import { asRecord, asString, changeStampOf } from './kube-objects.js';
import type {
  AuthorizationPolicyInfo,
  IstioVersion,
  JwtRule,
  KubeObject,
  NamespaceInfo,
  PodInfo,
  PolicyKind,
  PolicyRef,
  PolicySet,
  RequestAuthenticationInfo,
  ServiceInfo,
} from '../model/index.js';
import { parseAction, parseAuthorizationRules } from './policies/authorization-rules.js';
import { modernJwtRules } from './policies/jwt-rules.js';
import { normaliseLegacy } from './policies/legacy.js';
import { judgeTargeting, type TargetingContext } from './policies/targeting.js';
import { dataPlaneMode } from './workload-mode.js';

export const SECURITY_API_VERSION = 'security.istio.io/v1';

export interface PolicyInput {
  target: { service: string; namespace: string };
  service?: ServiceInfo;
  pods: PodInfo[];
  namespace: NamespaceInfo;
  rootNamespace: string;
  istioVersion?: IstioVersion;
  /** From the target namespace and the root namespace. */
  requestAuthentications: KubeObject[];
  authorizationPolicies: KubeObject[];
  /** authentication.istio.io Policy objects of the namespace; undefined = the API is not served. */
  legacyPolicies?: KubeObject[];
  meshPolicies?: KubeObject[];
}

export function normalisePolicies(input: PolicyInput): PolicySet {
  const ctx = targetingContext(input);
  const order = orderBy(input);

  const jwtRules: JwtRule[] = [];
  const requestAuthentications = objectsOf(input.requestAuthentications, 'RequestAuthentication').map((obj) => {
    const targeting = judgeTargeting(obj, 'RequestAuthentication', ctx);
    const source = ref('RequestAuthentication', obj, targeting.namespace);
    const spec = asRecord(obj.spec);
    const parsed = modernJwtRules(spec, source, targeting);
    jwtRules.push(...parsed.rules);
    const info: RequestAuthenticationInfo = {
      source,
      targetRefs: targeting.targetRefs,
      ruleKeys: parsed.rules.map((r) => r.key),
      applies: targeting.applies,
      reason: parsed.problem ? `${targeting.reason}; ${parsed.problem}` : targeting.reason,
      reasonCode: targeting.reasonCode,
    };
    if (targeting.selector) info.selector = targeting.selector;
    return info;
  });

  const authorizationPolicies = objectsOf(input.authorizationPolicies, 'AuthorizationPolicy').map((obj) => {
    const targeting = judgeTargeting(obj, 'AuthorizationPolicy', ctx);
    const spec = asRecord(obj.spec);
    const action = parseAction(spec?.['action']);
    const info: AuthorizationPolicyInfo = {
      source: ref('AuthorizationPolicy', obj, targeting.namespace),
      action: action ?? 'ALLOW',
      targetRefs: targeting.targetRefs,
      rules: parseAuthorizationRules(spec?.['rules']),
      applies: targeting.applies && action !== undefined,
      reason: action === undefined
        ? `action ${JSON.stringify(spec?.['action'])} is not ALLOW, DENY, AUDIT or CUSTOM (istiod validation rejects it)`
        : targeting.reason,
      reasonCode: action === undefined ? 'invalid-action' : targeting.reasonCode,
    };
    if (targeting.selector) info.selector = targeting.selector;
    return info;
  });

  const legacy = normaliseLegacy({
    service: input.target.service,
    namespace: input.target.namespace,
    ...(input.service ? { serviceInfo: input.service } : {}),
    ...(input.istioVersion ? { istioVersion: input.istioVersion } : {}),
    legacyPolicies: objectsOf(input.legacyPolicies ?? [], 'Policy'),
    meshPolicies: objectsOf(input.meshPolicies ?? [], 'MeshPolicy'),
  });
  jwtRules.push(...legacy.rules);

  return {
    jwtRules: jwtRules.sort((a, b) => order(a.source, b.source) || a.index - b.index),
    requestAuthentications: requestAuthentications.sort((a, b) => order(a.source, b.source)),
    authorizationPolicies: authorizationPolicies.sort((a, b) => order(a.source, b.source)),
    legacy: {
      installed: input.legacyPolicies !== undefined || input.meshPolicies !== undefined,
      policies: legacy.policies.sort((a, b) => order(a.source, b.source)),
    },
  };
}

/**
 * Selectors are judged on the running pods (a policy applies if it matches at least one); with no pods,
 * on the Service's own selector, which says what the pods would carry at least.
 */
function targetingContext(input: PolicyInput): TargetingContext {
  const mode = dataPlaneMode(input.namespace, input.pods, input.service);
  const fromPods = input.pods.map((p) => ({ name: `pod ${p.name}`, labels: p.labels }));
  const selector = input.service?.selector;
  const workloads = fromPods.length > 0 || !selector ? fromPods : [{ name: `the Service selector`, labels: selector }];
  return {
    service: input.target.service,
    namespace: input.target.namespace,
    rootNamespace: input.rootNamespace,
    ...(input.service ? { serviceInfo: input.service } : {}),
    workloads,
    judgedOnServiceSelector: fromPods.length === 0 && selector !== undefined,
    mode,
  };
}

/** Records of the expected kind, once each (a list may hold the same object under v1 and v1beta1). */
function objectsOf(list: unknown[], kind: PolicyKind): KubeObject[] {
  const seen = new Set<string>();
  return list.flatMap((value) => {
    const obj = asRecord(value);
    if (!obj) return [];
    const objKind = asString(obj['kind']);
    if (objKind !== undefined && objKind !== kind) return [];
    const meta = asRecord(obj['metadata']);
    const id = `${asString(meta?.['namespace']) ?? ''}/${asString(meta?.['name']) ?? ''}`;
    if (seen.has(id)) return [];
    seen.add(id);
    return [obj as KubeObject];
  });
}

function ref(kind: PolicyKind, obj: KubeObject, namespace: string): PolicyRef {
  return {
    kind,
    apiVersion: asString(obj.apiVersion) ?? SECURITY_API_VERSION,
    namespace,
    name: asString(asRecord(obj.metadata)?.['name']) ?? '',
    ...changeStampOf(obj),
  };
}

const KIND_ORDER: Record<PolicyKind, number> = { MeshPolicy: 0, Policy: 1, RequestAuthentication: 2, AuthorizationPolicy: 3 };

/** Root namespace (and the cluster-scoped MeshPolicy) first, then the target namespace, then by name. */
function orderBy(input: PolicyInput): (a: PolicyRef, b: PolicyRef) => number {
  const rank = (r: PolicyRef): number =>
    r.namespace === undefined || r.namespace === input.rootNamespace ? 0 : r.namespace === input.target.namespace ? 1 : 2;
  return (a, b) =>
    rank(a) - rank(b) ||
    (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
    a.name.localeCompare(b.name) ||
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind];
}
