import type { Labels } from './kube.js';

// ---------------------------------------------------------------- policies (normalised)

export type PolicyKind = 'RequestAuthentication' | 'AuthorizationPolicy' | 'Policy' | 'MeshPolicy';

export interface PolicyRef {
  kind: PolicyKind;
  apiVersion: string;
  /** undefined for the cluster-scoped MeshPolicy. */
  namespace?: string;
  name: string;
  /** `metadata.creationTimestamp`. */
  createdAt?: string;
  /** The latest `metadata.managedFields[].time` (any apply or update), else the creation time. */
  changedAt?: string;
  /** `metadata.generation`: 1 = never changed since creation (spec changes only). */
  generation?: number;
}

/** Where Envoy looks for the token. `prefix` only for headers. */
export interface TokenLocation {
  in: 'header' | 'param' | 'cookie';
  name: string;
  prefix?: string;
}

/** Where a policy applies and why; `reason` is shown to users in both cases. */
/**
 * Why a policy does or does not reach the workload, as a code the checks can choose a fix by; `reason`
 * says the same in words, with the names. Codes are set by the normaliser (src/istio/policies/).
 */
export type ApplicabilityCode =
  | 'applies'
  | 'other-namespace'
  | 'selector-and-target-refs'
  | 'target-refs-on-sidecar'
  | 'target-refs-without-proxy'
  | 'target-refs-miss'
  | 'ambient-without-waypoint'
  | 'waypoint-ignores-selector'
  | 'gateway-ignores-selector'
  | 'target-refs-on-classic-gateway'
  | 'selector-mismatch'
  | 'invalid-action'
  | 'legacy-removed'
  | 'legacy-misnamed'
  | 'legacy-target-not-short-name'
  | 'legacy-target-other-service'
  | 'legacy-port-not-exposed'
  | 'legacy-overridden';

export interface Applicability {
  applies: boolean;
  reason: string;
  /** Absent only in evidence built by hand (tests, old dumps): checks then fall back to a generic fix. */
  reasonCode?: ApplicabilityCode;
}

/** One JWT rule (a modern `jwtRules[]` entry or a legacy `origins[].jwt`), normalised. */
export interface JwtRule extends Applicability {
  /** Stable id within a diagnosis: `<kind>/<namespace>/<name>#<index>`. */
  key: string;
  source: PolicyRef;
  index: number;
  api: 'modern' | 'legacy';
  issuer?: string;
  jwksUri?: string;
  /** Inline JWKS text as written in the policy. */
  jwks?: string;
  audiences: string[];
  /** Explicit locations; empty means Envoy's defaults (Authorization: Bearer, then ?access_token). */
  locations: TokenLocation[];
  forwardOriginalToken: boolean;
}

export interface RequestAuthenticationInfo extends Applicability {
  source: PolicyRef;
  selector?: Labels;
  targetRefs: { group?: string; kind: string; name: string }[];
  ruleKeys: string[];
}

export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
}

export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthorizationCondition {
  key: string;
  values?: string[];
  notValues?: string[];
}

export interface AuthorizationRule {
  from?: { source?: AuthorizationSource }[];
  to?: { operation?: AuthorizationOperation }[];
  when?: AuthorizationCondition[];
}

export interface AuthorizationPolicyInfo extends Applicability {
  source: PolicyRef;
  action: AuthorizationAction;
  selector?: Labels;
  targetRefs: { group?: string; kind: string; name: string }[];
  /** undefined: the `rules` field is absent (an ALLOW policy then denies everything). */
  rules: AuthorizationRule[] | undefined;
}

export interface LegacyPolicyInfo extends Applicability {
  source: PolicyRef;
  scope: 'service' | 'namespace' | 'mesh';
  targets: { name: string; ports: (number | string)[] }[];
  /** Keys of the JwtRules made from `origins`. */
  ruleKeys: string[];
  principalBinding?: string;
  originIsOptional: boolean;
  hasPeers: boolean;
  /** `origins` is a non-empty list (JWT config), even when no entry parsed into a rule; absent in hand-built evidence. */
  hasOrigins?: boolean;
}

export interface PolicySet {
  /** Every JWT rule seen, applying or not (checks filter on `applies`). */
  jwtRules: JwtRule[];
  requestAuthentications: RequestAuthenticationInfo[];
  authorizationPolicies: AuthorizationPolicyInfo[];
  legacy: {
    /** false when the authentication.istio.io API group is not served by the cluster. */
    installed: boolean;
    policies: LegacyPolicyInfo[];
  };
}

