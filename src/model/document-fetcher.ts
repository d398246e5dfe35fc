import type { FetchedDocument } from './index.js';

/**
 * Fetches issuer documents (OpenID discovery, JWKS). The live implementation guards every URL
 * (DESIGN §8); the demo uses recorded answers. Throws JwtcheckError (blocked, timeout, unreachable,
 * too-large) — an HTTP error status is returned, not thrown, so checks can name it.
 */
export interface DocumentFetcher {
  fetch(url: string): Promise<FetchedDocument>;
}
