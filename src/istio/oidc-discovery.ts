/**
 * Where istiod looks for an issuer's keys when a JWT rule names no jwksUri/jwks: the OpenID Connect
 * discovery document under the issuer URL (ISTIO-JWT §3.1). The collector fetches it, the checks name
 * it in their details and the log readers recognise it, so all three must build it the same way.
 */

export const DISCOVERY_PATH = '/.well-known/openid-configuration';

/** istiod trims one trailing slash from the issuer before appending the discovery path (1.19+, ISTIO-JWT §0). */
export function discoveryUrlFor(issuer: string): string {
  return `${issuer.replace(/\/$/, '')}${DISCOVERY_PATH}`;
}
