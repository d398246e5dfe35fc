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
  /** Requests and refusals per minute of `%START_TIME%` (UTC), in time order; the refusal timeline's input. */
  minutes?: MinuteCount[];
}

export interface MinuteCount {
  /** `YYYY-MM-DDTHH:MM`, UTC. */
  minute: string;
  requests: number;
  /** 401/403 answers by kind (`401 Jwt is expired`, `403 RBAC: access denied …`). */
  refusals: Record<string, number>;
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
  /** The earliest line of the group: when istiod first failed (the refusal timeline's "what changed"). */
  firstTime?: string;
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

