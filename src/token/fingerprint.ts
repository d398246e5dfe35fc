import { createHash } from 'node:crypto';

/** Hex digits kept: enough to tell tokens apart in a thread, far too few to be the token. */
export const FINGERPRINT_HEX_DIGITS = 12;

/** First 12 hex digits of sha256(token): lets people compare tokens without seeing them. */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, FINGERPRINT_HEX_DIGITS);
}
