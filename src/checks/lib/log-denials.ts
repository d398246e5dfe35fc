/**
 * Reading access-log denials: the jwt_verify_lib status behind `jwt_authn_access_denied{…}` and what each
 * one usually means (ISTIO-JWT §4.2–4.3 response_code_details, §8 decision hints).
 */
import type { DenialGroup } from '../../model/index.js';

/** The Envoy status string of a jwt denial ("Jwt is expired"), or undefined for old bare details. */
export function jwtStatusOf(group: DenialGroup): string | undefined {
  const m = /jwt_authn_access_denied\{(.*)\}/.exec(group.details);
  if (m?.[1]) return m[1].replace(/_/g, ' ');
  if (group.details.includes('{')) return group.reason;
  // Formats without details: the parser may have identified the reply by its size; one candidate only.
  const inferred = /^"([^"]+)" \(inferred from/.exec(group.reason);
  return inferred?.[1];
}

/** The RBAC policy id in `rbac_access_denied_matched_policy[<id>]`, or undefined for old bare details. */
export function rbacPolicyOf(group: DenialGroup): string | undefined {
  return /rbac_access_denied_matched_policy\[(.*)\]/.exec(group.details)?.[1];
}

/** True for the two statuses a proxy holding stale or placeholder keys produces for a good token. */
export function isKeyMismatchStatus(status: string | undefined): boolean {
  return !!status && (status.startsWith("Jwks doesn't have key") || status.startsWith('Jwt verification fails'));
}

/** ISTIO-JWT §7/§8: what a jwt_authn status usually means, in a clause, and the check that digs into it. */
export function jwtStatusHint(status: string | undefined): string {
  if (!status) {
    return 'this proxy does not log why (Istio ≤1.8 formats): raise its jwt log level (`istioctl proxy-config log <pod> --level jwt:debug`) to see the reason';
  }
  const s = status;
  if (s.startsWith('Origin authentication failed')) {
    return 'the legacy origin check refused the token (missing, expired, wrong issuer or signature: see the token.* checks)';
  }
  if (s.startsWith('Jwt is expired')) return 'clients send expired tokens: they must refresh (see token.time)';
  if (s.startsWith('Jwt not yet valid')) return 'nbf in the future: clock skew between the IdP and the cluster (see token.time)';
  if (s.startsWith('Jwt issuer is not configured')) {
    return 'tokens carry an iss no rule names: trailing slash, http/https, internal vs external host, another IdP (see token.issuer)';
  }
  if (s.startsWith("Jwks doesn't have key")) {
    return 'no key with the token\'s kid in the proxy: key rotation not yet picked up (≤20 min) or istiod placeholder keys (1.8–1.20, see istiod.jwks-fetch)';
  }
  if (s.startsWith('Jwt verification fails')) {
    return 'the signature does not verify with the proxy\'s keys: istiod placeholder keys (1.21+, see istiod.jwks-fetch) or tokens from another key/realm';
  }
  if (s.startsWith("Jwks doesn't have any valid public key")) return 'the proxy has no usable key for the issuer (see issuer.jwks, istiod.jwks-fetch)';
  if (s.startsWith('Audiences in Jwt are not allowed')) return 'token aud is not in the rule\'s audiences (see token.audience)';
  if (s.startsWith('Jwks remote fetch is failed')) return 'Envoy fetches the keys itself and cannot reach the JWKS (see proxy.jwt-config)';
  if (s.startsWith('Jwt is not in the form') || s.includes('Base64') || s.includes('JSON')) {
    return 'clients send something that is not a JWT (opaque access token, API key in Authorization: Bearer, truncated token)';
  }
  if (s.startsWith('Found multiple Jwt tokens')) return 'requests carry a token in several places (header and query/cookie): send one';
  return 'see the status string in ISTIO-JWT §4.1';
}
