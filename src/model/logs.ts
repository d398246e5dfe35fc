import type { EvidenceError } from './slot.js';

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

export interface ProxyJwtConfigSigns {
  /** Legacy (Istio 1.0–1.2): `Loaded JwtAuthConfig` lines, per issuer, and whether local_jwks held keys. */
  loadedConfigs: { issuer?: string; hasLocalJwks: boolean; line: string }[];
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

