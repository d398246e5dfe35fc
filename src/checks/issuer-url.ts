// Verifies that a rule without jwksUri or inline jwks has an issuer istiod can discover keys from: an http(s) URL.
// istiod derives <issuer>/.well-known/openid-configuration from it; an e-mail (Google service account,
// testing@secure.istio.io) or a bare name cannot be fetched, so every token fails (ISTIO-JWT §2.1, §3.1; 1.27 optional issuer).
import { defineCheck } from '../engine/check.js';
import { discoveryUrlFor } from '../istio/oidc-discovery.js';
import { classifyIssuer, googleServiceAccountJwksUri, isGoogleServiceAccount } from './lib/issuer-url.js';
import { perApplyingRule } from './lib/policy.js';

export default defineCheck({
  id: 'issuer.url',
  title: 'Issuer is a URL istiod can discover keys from',
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies'],
  run(evidence) {
    return perApplyingRule(evidence.policies, (rule, { subject, origin, keysField }) => {
      const explicitKeys = rule.jwks !== undefined ? 'inline jwks' : rule.jwksUri ? `${keysField} ${rule.jwksUri}` : undefined;
      if (!rule.issuer) {
        if (explicitKeys) {
          return {
            status: 'pass',
            subject,
            detail: `${origin} has no issuer and takes keys from ${explicitKeys}: allowed since Istio 1.27, and then the token's iss is not checked.`,
          };
        }
        return {
          status: 'fail',
          subject,
          detail: `${origin} has neither an issuer nor ${keysField}/jwks: istiod cannot find any key.`,
          fix: `Set issuer (the exact iss of your tokens) and ${keysField} in ${origin}.`,
        };
      }
      if (explicitKeys) {
        return {
          status: 'skip',
          subject,
          detail: `Keys come from ${explicitKeys}; the issuer "${rule.issuer}" is only compared with the token's iss.`,
        };
      }
      const c = classifyIssuer(rule.issuer);
      if (c.kind === 'https') {
        return { status: 'pass', subject, detail: `Issuer is an https URL; istiod discovers keys at ${discoveryUrlFor(rule.issuer)}.` };
      }
      if (c.kind === 'http') {
        return {
          status: 'warn',
          subject,
          detail: `Issuer ${rule.issuer} is plain http: istiod fetches ${discoveryUrlFor(rule.issuer)} and the keys without TLS, so anyone on the path can swap them.`,
          fix: `Serve the issuer over https and set issuer to the https URL (it must equal the tokens' iss), or pin the keys with ${keysField} over https / inline jwks in ${origin}.`,
        };
      }
      const google = isGoogleServiceAccount(rule.issuer);
      return {
        status: 'fail',
        subject,
        detail: `Issuer "${rule.issuer}" is not a URL (${c.reason ?? 'unparseable'}) and ${origin} sets no ${keysField}: istiod finds keys via <issuer>/.well-known/openid-configuration, which needs a URL.`,
        fix: google
          ? `Set ${keysField}: ${googleServiceAccountJwksUri(rule.issuer)} in ${origin} (Google publishes each service account's keys there).`
          : `Set ${keysField} (the IdP's JWKS URL) or inline jwks in ${origin}; keep issuer equal to the tokens' iss.`,
      };
    });
  },
});
