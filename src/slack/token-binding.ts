/**
 * The token parked for "Check against a service" belongs to the user who pasted it. The stash holds the
 * token sealed together with that user id (AES-256-GCM, so neither can be swapped), and the modal's
 * submission opens it only for the same user; the job then gets the token sealed on its own, as the queue
 * contract says.
 */
import { sealToken, unsealToken } from '../job/seal.js';

export function sealForUser(token: string, user: string, key: Buffer): string {
  return sealToken(JSON.stringify({ user, token }), key);
}

/** The token when `user` is the one who pasted it, else undefined. Throws (JwtcheckError) on a bad seal. */
export function openForUser(sealed: string, user: string, key: Buffer): string | undefined {
  let bound: unknown;
  try {
    bound = JSON.parse(unsealToken(sealed, key));
  } catch (err) {
    if (err instanceof SyntaxError) return undefined; // not a bound token: refuse rather than guess
    throw err;
  }
  const { user: owner, token } = (bound ?? {}) as { user?: unknown; token?: unknown };
  return owner === user && typeof token === 'string' ? token : undefined;
}
