/**
 * A slot: one piece of evidence read from the outside world, or the reason it could not be read, in words.
 */

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
