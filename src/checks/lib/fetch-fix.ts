/**
 * The next step when jwtcheck could not fetch an issuer document: whoever fetches it in the cluster has to
 * reach it too. By default that is istiod (ISTIO-JWT §3.1); with PILOT_JWT_ENABLE_REMOTE_JWKS=envoy (or
 * hybrid, for a jwksUri host the mesh knows) it is the workload's sidecar (§3.3).
 */
import type { EvidenceError, Labels } from '../../model/index.js';

/** Who fetches a jwksUri: istiod (default), Envoy always, or Envoy when the host is a known mesh cluster. */
export type JwksFetchMode = 'istiod' | 'envoy' | 'hybrid';

/** PILOT_JWT_ENABLE_REMOTE_JWKS from istiod's env: `envoy`; `hybrid`/`true`; `istiod`/`false`/unset. */
export function jwksFetchMode(env: Labels | undefined): JwksFetchMode {
  const value = (env?.['PILOT_JWT_ENABLE_REMOTE_JWKS'] ?? '').trim().toLowerCase();
  if (value === 'envoy') return 'envoy';
  if (value === 'hybrid' || value === 'true') return 'hybrid';
  return 'istiod';
}

/**
 * What to do when the document could not be fetched. `mode` only matters for a jwksUri key set: istiod
 * still resolves discovery documents itself in every mode.
 */
export function reachFix(url: string, error: EvidenceError, keysField: string, origin: string, mode: JwksFetchMode = 'istiod'): string {
  if (error.code === 'blocked') {
    return `jwtcheck refused ${url} (link-local/metadata/non-http address). Point ${keysField} in ${origin} at the IdP's public or cluster-internal https URL.`;
  }
  const tls = /x509|certificate|tls/i.test(error.message);
  if (mode !== 'istiod') {
    const who =
      mode === 'envoy'
        ? 'the sidecar of each pod fetches the keys itself (PILOT_JWT_ENABLE_REMOTE_JWKS=envoy), not istiod'
        : 'the sidecar fetches the keys itself when the host is a mesh Service/ServiceEntry (PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid), otherwise istiod does';
    const tlsHint = tls ? ' For a private CA, the DestinationRule that originates TLS must carry it (tls.caCertificates / credentialName).' : '';
    return (
      `Make sure the workload's pods can reach ${url}: ${who}, so a failure gives 401 "Jwks remote fetch is failed". ` +
      `It needs a ServiceEntry for the host (and a DestinationRule with TLS origination for https), and egress from the pods' namespace (NetworkPolicy, egress gateway); ` +
      `check the proxy log for "fetch pubkey … failed".${tlsHint} Or set ${keysField} / inline jwks in ${origin}.`
    );
  }
  const tlsHint = tls ? ' For a private CA, give istiod the CA (Helm value pilot.jwksResolverExtraRootCA → ConfigMap pilot-jwks-extra-cacerts).' : '';
  return `Make sure istiod can reach ${url} too (egress/NetworkPolicy, HTTPS_PROXY on the istiod Deployment, DNS); check kubectl logs -n istio-system deploy/istiod | grep -i jwks.${tlsHint} Or set ${keysField} / inline jwks in ${origin}.`;
}
