/** Every check, in catalogue order (DESIGN §3); the order is the report's order. */
import type { Check } from '../engine/check.js';
import workloadService from './workload-service.js';
import workloadPods from './workload-pods.js';
import workloadSidecar from './workload-sidecar.js';
import workloadHttpPort from './workload-http-port.js';
import policyJwtRules from './policy-jwt-rules.js';
import policyLegacyApi from './policy-legacy-api.js';
import policyPrincipalBinding from './policy-principal-binding.js';
import policyRequireToken from './policy-require-token.js';
import policyTokenLocation from './policy-token-location.js';
import policyConflicts from './policy-conflicts.js';
import issuerUrl from './issuer-url.js';
import issuerDiscovery from './issuer-discovery.js';
import issuerJwks from './issuer-jwks.js';
import tokenFormat from './token-format.js';
import tokenIssuer from './token-issuer.js';
import tokenTime from './token-time.js';
import tokenAudience from './token-audience.js';
import tokenSignature from './token-signature.js';
import tokenAuthorization from './token-authorization.js';
import proxyJwtConfig from './proxy-jwt-config.js';
import proxyResponses from './proxy-responses.js';
import istiodJwksFetch from './istiod-jwks-fetch.js';

export const CHECKS: readonly Check[] = [
  workloadService,
  workloadPods,
  workloadSidecar,
  workloadHttpPort,
  policyJwtRules,
  policyLegacyApi,
  policyPrincipalBinding,
  policyRequireToken,
  policyTokenLocation,
  policyConflicts,
  issuerUrl,
  issuerDiscovery,
  issuerJwks,
  tokenFormat,
  tokenIssuer,
  tokenTime,
  tokenAudience,
  tokenSignature,
  tokenAuthorization,
  proxyJwtConfig,
  proxyResponses,
  istiodJwksFetch,
];

/** The catalogue ids, derived from the registry (the one list; DESIGN §3 holds the contract it must match). */
export const CHECK_IDS: readonly string[] = CHECKS.map((c) => c.id);
