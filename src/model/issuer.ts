import type { Slot } from './slot.js';

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

