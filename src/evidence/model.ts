/**
 * The evidence model: everything the checks may look at, gathered once per diagnosis.
 * Collectors (src/evidence/*) are the only code that fills it; checks (src/checks/*) only read it.
 * Every slot that comes from the outside world is a `Slot`, so a failed read (forbidden, timeout)
 * becomes an `error` result for the checks that need it instead of a crash.
 */

export interface Target {
  service: string;
  namespace: string;
  /** A label for the cluster: the kube context, `--cluster`, or "default". */
  cluster: string;
}

export type EvidenceErrorCode =
  | 'forbidden' // RBAC refused the read (HTTP 403)
  | 'not-found' // an object or API group that had to exist does not
  | 'timeout'
  | 'unreachable' // connection refused, DNS failure, TLS failure
  | 'http-status' // an unexpected HTTP status from an issuer or the API server
  | 'invalid' // the answer could not be parsed
  | 'too-large' // over the size cap
  | 'blocked' // refused by the URL guard (link-local, metadata, bad scheme)
  | 'unavailable' // nothing to read (e.g. no pods, so no proxy logs)
  | 'internal';

export interface EvidenceError {
  code: EvidenceErrorCode;
  /** One sentence a user can act on; never contains a token. */
  message: string;
}

export type Slot<T> = { ok: true; value: T } | { ok: false; error: EvidenceError };

export const present = <T>(value: T): Slot<T> => ({ ok: true, value });
export const missing = <T = never>(code: EvidenceErrorCode, message: string): Slot<T> => ({
  ok: false,
  error: { code, message },
});

// ---------------------------------------------------------------- Kubernetes objects

export type Labels = Record<string, string>;

/** A Kubernetes object as YAML/JSON has it (custom resources are read in this shape). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Labels;
    annotations?: Labels;
    [key: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export interface ServiceInfo {
  name: string;
  namespace: string;
  labels: Labels;
  /** undefined: the Service has no selector (Endpoints managed by hand, ExternalName). */
  selector: Labels | undefined;
  type?: string;
  ports: ServicePort[];
}

export interface ServiceLookup {
  /** undefined when the Service does not exist. */
  service: ServiceInfo | undefined;
  /** When not found: names in the namespace that look like a typo of the one asked for. */
  nearNames: string[];
}

/**
 * Set by the offline (--files) source on pods it makes from a workload's pod template, so checks can
 * tell that their running state is unknown: "<Kind>/<name>", e.g. "Deployment/httpbin".
 */
export const FROM_TEMPLATE_ANNOTATION = 'jwtcheck.io/from-template';

export interface PodInfo {
  name: string;
  namespace: string;
  labels: Labels;
  annotations: Labels;
  phase: string;
  ready: boolean;
  containers: string[];
  /** Native sidecars (Kubernetes 1.28+) run istio-proxy as an init container with restartPolicy Always. */
  initContainers: string[];
  /** e.g. CrashLoopBackOff, ImagePullBackOff for the first waiting container, if any. */
  waitingReason?: string;
  restarts: number;
  /**
   * `args` of the istio-proxy container, when the reader kept them: `proxy router …` is a gateway
   * (classic istio-ingressgateway or a Gateway API deployment), `proxy sidecar …` a sidecar.
   */
  proxyArgs?: string[];
}

export interface NamespaceInfo {
  name: string;
  /** false when the namespace itself does not exist. */
  exists: boolean;
  labels: Labels;
}

export interface IstioVersion {
  major: number;
  minor: number;
  patch: number;
}

export interface IstioInfo {
  /** The istiod image tag as read (e.g. "1.22.3", "1.20.1-distroless"); undefined when unknown. */
  tag?: string;
  version?: IstioVersion;
  rootNamespace: string;
  /** istiod pods found (control plane may also live outside the root namespace: then empty). */
  istiodPods: string[];
  /** istiod environment variables that change JWT behaviour (PILOT_JWT_ENABLE_REMOTE_JWKS, …). */
  env: Labels;
  /**
   * The control-plane revision serving the workload (pod label / sidecar status / namespace label
   * `istio.io/rev`, else "default"); absent when it was not worked out.
   */
  revision?: string;
  /** The istiod pod `tag`/`version`/`env` were read from (and whose log is read): Running, Ready, same revision first. */
  istiodPod?: string;
}

// ---------------------------------------------------------------- policies (normalised)

export type PolicyKind = 'RequestAuthentication' | 'AuthorizationPolicy' | 'Policy' | 'MeshPolicy';

export interface PolicyRef {
  kind: PolicyKind;
  apiVersion: string;
  /** undefined for the cluster-scoped MeshPolicy. */
  namespace?: string;
  name: string;
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
 * says the same in words, with the names. Codes are set by the normaliser (src/evidence/policies/).
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

// ---------------------------------------------------------------- issuers and keys

export interface JwkSummary {
  kid?: string;
  kty?: string;
  alg?: string;
  use?: string;
  crv?: string;
  /** false when Envoy could not load it (unsupported kty/alg, missing n/e/x/y); Envoy ignores `use`. */
  usable: boolean;
  problem?: string;
  /** Istio's placeholder ("fake") key that istiod pushes when it cannot fetch keys. */
  placeholder?: boolean;
}

export interface KeySetInfo {
  keys: JwkSummary[];
  /** The parsed JSON, for signature verification. */
  jwks: { keys: Record<string, unknown>[] };
}

export interface FetchedDocument {
  url: string;
  /** Final URL after redirects. */
  finalUrl: string;
  status: number;
  contentType?: string;
  /** Response body text (at most the size cap). */
  body: string;
}

export interface DiscoveryInfo {
  url: string;
  status: number;
  contentType?: string;
  /** The parsed JSON document, if the body was JSON. */
  document?: Record<string, unknown>;
  /** Why the body is not a usable discovery document (HTML, not JSON, …). */
  problem?: string;
}

/** What the bot learned about the keys of one JWT rule. */
export interface IssuerEvidence {
  ruleKey: string;
  /** Discovery was needed (no jwksUri, no inline jwks) and attempted. */
  discovery?: Slot<DiscoveryInfo>;
  keySource: 'inline' | 'jwksUri' | 'discovery' | 'none';
  keySetUrl?: string;
  keySet?: Slot<KeySetInfo>;
}

// ---------------------------------------------------------------- token

export type TokenFormatProblem =
  | 'empty'
  | 'bearer-prefix'
  | 'not-three-parts'
  | 'jwe'
  | 'bad-base64'
  | 'bad-json'
  | 'alg-missing'
  | 'alg-none'
  | 'too-large';

export type VerificationOutcome =
  | 'verified'
  | 'no-matching-key' // Envoy: "Jwks doesn't have key to match kid or alg from Jwt"
  | 'signature-invalid' // Envoy: "Jwt verification fails"
  | 'no-keys' // Envoy: "Jwks doesn't have any valid public key"
  | 'unsupported-alg'
  | 'not-attempted';

export interface TokenVerification {
  outcome: VerificationOutcome;
  message: string;
  /** kid of the key that verified, when verified. */
  kid?: string;
}

export interface TokenEvidence {
  provided: boolean;
  /** Set when the text is not a usable compact JWS. */
  problem?: { code: TokenFormatProblem; message: string };
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  /** sha256 of the token, first 12 hex digits: lets people tell tokens apart without seeing them. */
  fingerprint?: string;
  /** The text came with a `Bearer ` word (or a whole Authorization header line), removed before decoding. */
  pastedWithBearer?: boolean;
  warnings: string[];
  /** Per JwtRule key: the signature outcome against that rule's key set. */
  verification: Record<string, TokenVerification>;
}

// ---------------------------------------------------------------- logs

export interface DenialGroup {
  code: number;
  /** Human reason, e.g. "Jwt is expired", "RBAC: access denied (policy none)". */
  reason: string;
  /** Raw response_code_details, e.g. jwt_authn_access_denied{Jwt_is_expired}. */
  details: string;
  source: 'jwt' | 'rbac' | 'ext_authz' | 'upstream' | 'other';
  count: number;
  lastSeen?: string;
  /** Up to 3 lines, with anything token-like redacted. */
  samples: string[];
}

export interface AccessLogSummary {
  lines: number;
  accessLines: number;
  byCode: Record<string, number>;
  denials: DenialGroup[];
}

/**
 * What a `Loaded JwtAuthConfig` dump shows one issuer's provider holding: keys; an empty inline_string (Pilot's
 * fetch failed); a key set without keys; text that is not a key set; no local_jwks at all; a remote_jwks
 * (the proxy fetches itself).
 */
export type LoadedKeySet = 'keys' | 'empty-inline' | 'no-keys' | 'invalid' | 'absent' | 'remote';

export interface LoadedJwtConfig {
  issuer?: string;
  hasLocalJwks: boolean;
  /** The timestamped line that opened the dump (shortened). */
  line: string;
  /** Absent in hand-built evidence: then only `hasLocalJwks` is known. */
  keySet?: LoadedKeySet;
  /** kids of the inline keys, when `keySet` is 'keys'. */
  kids?: string[];
}

export interface ProxyJwtConfigSigns {
  /** Legacy (Istio 1.0–1.2): `Loaded JwtAuthConfig` dumps (multi-line), per issuer, and what local_jwks held. */
  loadedConfigs: LoadedJwtConfig[];
  /** `Listener rejected … invalid local jwks` and similar NACK lines. */
  listenerRejections: string[];
  /** Envoy remote fetch failures (`fetch pubkey … failed`). */
  remoteFetchFailures: string[];
  /** Placeholder-key markers seen in logs (kid abc, Error-IstiodFailedToFetchJwksUri, fixed n prefixes). */
  placeholderKeys: string[];
}

export interface ProxyLogEvidence {
  /** Pods whose istio-proxy log was read. */
  pods: string[];
  /** Per-pod read failures (e.g. one pod forbidden), for the detail line. */
  podErrors: { pod: string; error: EvidenceError }[];
  access: AccessLogSummary;
  jwtConfig: ProxyJwtConfigSigns;
}

export interface IstiodKeyFetchFailure {
  issuer?: string;
  url?: string;
  /** The error text after the colon, e.g. "x509: certificate signed by unknown authority". */
  cause: string;
  /** Whether this failure made istiod push placeholder keys (fallback notices and push-path errors, not refreshes). */
  placeholder: boolean;
  time?: string;
  count: number;
}

export interface IstiodLogEvidence {
  pod: string;
  lines: number;
  fetchFailures: IstiodKeyFetchFailure[];
  /** `ADS:LDS: ACK ERROR` lines mentioning jwt/jwks. */
  ackErrors: string[];
  /** `Updated cached JWT public key from "<uri>"` lines: keys did refresh. */
  keyUpdates: string[];
}

// ---------------------------------------------------------------- the whole

export interface Evidence {
  target: Target;
  token: TokenEvidence;
  service: Slot<ServiceLookup>;
  namespace: Slot<NamespaceInfo>;
  pods: Slot<PodInfo[]>;
  istio: Slot<IstioInfo>;
  policies: Slot<PolicySet>;
  /** Per JwtRule key, for rules that apply. */
  issuers: Slot<Record<string, IssuerEvidence>>;
  proxyLogs: Slot<ProxyLogEvidence>;
  istiodLogs: Slot<IstiodLogEvidence>;
}

export type EvidenceSlotName = Exclude<keyof Evidence, 'target' | 'token'>;
