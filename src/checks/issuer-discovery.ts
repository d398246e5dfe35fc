// Verifies that, for rules without jwksUri/jwks, <issuer>/.well-known/openid-configuration answers 200 with JSON
// naming the same issuer and a jwks_uri. istiod resolves keys this way; if it cannot, it pushes placeholder keys
// and every token fails; a document naming another issuer means tokens carry another iss (ISTIO-JWT §3.1, §3.2, §7.1–2).
import { defineCheck } from '../engine/check.js';
import { reachFix } from './lib/fetch-fix.js';
import { discoveryUrlFor } from '../istio/oidc-discovery.js';
import { classifyIssuer } from './lib/issuer-url.js';
import { perApplyingRule } from './lib/policy.js';

export default defineCheck({
  id: 'issuer.discovery',
  title: 'Issuer discovery document opens and names the same issuer',
  docs: 'https://istio.io/latest/docs/ops/common-problems/security-issues/',
  needs: ['policies', 'issuers'],
  run(evidence) {
    const issuers = evidence.issuers.ok ? evidence.issuers.value : {};
    return perApplyingRule(evidence.policies, (rule, { subject, origin, keysField }) => {
      if (rule.jwks !== undefined || rule.jwksUri) {
        return { status: 'skip', subject, detail: `Keys come from ${rule.jwks !== undefined ? 'inline jwks' : rule.jwksUri}: discovery is not used.` };
      }
      if (!rule.issuer) return { status: 'skip', subject, detail: 'No issuer and no keys: see issuer.url.' };
      const kind = classifyIssuer(rule.issuer).kind;
      if (kind !== 'https' && kind !== 'http') {
        return { status: 'skip', subject, detail: `Issuer "${rule.issuer}" is not a URL, so there is nothing to discover: see issuer.url.` };
      }
      const expectedUrl = discoveryUrlFor(rule.issuer);
      const slot = issuers[rule.key]?.discovery;
      if (!slot) {
        return { status: 'skip', subject, detail: `jwtcheck did not fetch ${expectedUrl} (offline input without issuer documents?).` };
      }
      if (!slot.ok) {
        const failed = slot.error.code === 'http-status' || slot.error.code === 'invalid' || slot.error.code === 'too-large';
        return {
          status: failed ? 'fail' : 'error',
          subject,
          detail: `${expectedUrl}: ${slot.error.message}`,
          fix: failed
            ? `Open ${expectedUrl} and fix the issuer URL in ${origin}, or set ${keysField} explicitly.`
            : reachFix(expectedUrl, slot.error, keysField, origin),
        };
      }
      const d = slot.value;
      if (d.status !== 200) {
        const keycloak = d.status === 404 && /\/realms\//.test(rule.issuer)
          ? ' For Keycloak: version 17+ serves /realms/<realm> without the /auth prefix (older: /auth/realms/<realm>) (keycloak #17299).'
          : '';
        return {
          status: 'fail',
          subject,
          detail: `${d.status} from ${d.url}: istiod gets no jwks_uri, pushes placeholder keys, and every token is rejected.`,
          fix: `Correct issuer in ${origin} to the URL whose /.well-known/openid-configuration opens (it must equal the tokens' iss), or set ${keysField}.${keycloak}`,
        };
      }
      if (d.problem || !d.document) {
        return {
          status: 'fail',
          subject,
          detail: `${d.url} answered 200 but is not a discovery document: ${d.problem ?? 'not JSON'}${d.contentType ? ` (${d.contentType})` : ''}.`,
          fix: `Point issuer in ${origin} at the IdP's real issuer URL (a login page or proxy answered), or set ${keysField}.`,
        };
      }
      const docIssuer = d.document['issuer'];
      if (typeof docIssuer === 'string' && docIssuer !== rule.issuer) {
        const why = docIssuer.replace(/\/$/, '') === rule.issuer.replace(/\/$/, '')
          ? ' (trailing slash: istiod trims it to fetch discovery since 1.19, but the iss comparison stays exact)'
          : docIssuer.replace(/^https?:/, '') === rule.issuer.replace(/^https?:/, '')
            ? ' (http vs https)'
            : '';
        return {
          status: 'fail',
          subject,
          detail: `${d.url} names issuer "${docIssuer}" but ${origin} says "${rule.issuer}"${why}: tokens from this IdP carry iss "${docIssuer}", so Envoy answers 401 Jwt issuer is not configured.`,
          fix: `Set issuer: "${docIssuer}" in ${origin} (exactly, character for character).`,
        };
      }
      const jwksUri = d.document['jwks_uri'];
      if (typeof jwksUri !== 'string' || !/^https?:\/\//.test(jwksUri)) {
        return {
          status: 'fail',
          subject,
          detail: `${d.url} has no usable jwks_uri (${jwksUri === undefined ? 'missing' : JSON.stringify(jwksUri)}): istiod logs "invalid jwks_uri … in openID discovery configuration" and pushes placeholder keys.`,
          fix: `Set ${keysField} to the IdP's JWKS URL in ${origin}.`,
        };
      }
      return { status: 'pass', subject, detail: `${d.url} names issuer ${rule.issuer} and jwks_uri ${jwksUri}.` };
    });
  },
});
