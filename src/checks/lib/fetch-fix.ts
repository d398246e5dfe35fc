/** The next step when jwtcheck could not fetch an issuer document: istiod has to reach it too (ISTIO-JWT §3.1). */
import type { EvidenceError } from '../../evidence/model.js';

/** What to do when the document could not be fetched: istiod (not only jwtcheck) must reach it. */
export function reachFix(url: string, error: EvidenceError, keysField: string, origin: string): string {
  const tlsHint = /x509|certificate|tls/i.test(error.message)
    ? ' For a private CA, give istiod the CA (Helm value pilot.jwksResolverExtraRootCA → ConfigMap pilot-jwks-extra-cacerts).'
    : '';
  if (error.code === 'blocked') {
    return `jwtcheck refused ${url} (link-local/metadata/non-http address). Point ${keysField} in ${origin} at the IdP's public or cluster-internal https URL.`;
  }
  return `Make sure istiod can reach ${url} too (egress/NetworkPolicy, HTTPS_PROXY on the istiod Deployment, DNS); check kubectl logs -n istio-system deploy/istiod | grep -i jwks.${tlsHint} Or set ${keysField} / inline jwks in ${origin}.`;
}
