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

