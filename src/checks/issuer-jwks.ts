// Verifies that each rule's key set (inline jwks, jwksUri, or discovery's jwks_uri) parses and holds usable signing
// keys with unique kids. istiod inlines the keys into every proxy: an empty set means every token fails, an
// unusable key can make Envoy reject the whole listener, a placeholder key means istiod's fetch failed
// (ISTIO-JWT §3.1, §3.2, §4.1, §4.2, §7.15; istio #41729, #22597).
import { defineCheck } from '../engine/check.js';
import type { JwkSummary } from '../evidence/model.js';
import { reachFix } from './lib/fetch-fix.js';
import { listSome, perApplyingRule, plural } from './lib/policy.js';

export function describeKey(k: JwkSummary): string {
  const parts = [k.kty ?? 'kty?', k.alg ?? k.crv, k.kid !== undefined ? `kid ${k.kid}` : 'no kid'].filter(Boolean);
  return parts.join(' ');
}

export default defineCheck({
  id: 'issuer.jwks',
  title: 'Key set has usable signing keys',
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies', 'issuers'],
  run(evidence) {
    const issuers = evidence.issuers.ok ? evidence.issuers.value : {};
    return perApplyingRule(evidence.policies, (rule, { subject, origin, keysField }) => {
      const ev = issuers[rule.key];
      if (!ev || ev.keySource === 'none') {
        return { status: 'skip', subject, detail: 'No key set location is known (discovery failed or the issuer is not a URL): see issuer.discovery and issuer.url.' };
      }
      const inline = ev.keySource === 'inline';
      const where = inline ? `inline jwks of ${origin}` : (ev.keySetUrl ?? 'the key set URL');
      if (!ev.keySet) return { status: 'skip', subject, detail: `jwtcheck did not read ${where} (offline input without issuer documents?).` };
      if (!ev.keySet.ok) {
        const e = ev.keySet.error;
        const broken = e.code === 'http-status' || e.code === 'invalid' || e.code === 'too-large' || e.code === 'not-found';
        if (broken) {
          return {
            status: 'fail',
            subject,
            detail: inline
              ? `Inline jwks of ${origin} does not parse: ${e.message} — Envoy rejects the listener ("invalid local jwks").`
              : `${where}: ${e.message} — istiod cannot fetch the keys, pushes placeholder keys, and every token is rejected.`,
            fix: inline
              ? `Fix the jwks of ${origin}: it must be a JSON object {"keys": [...]} of public keys.`
              : `Correct ${keysField} in ${origin} (or the IdP's jwks_uri); open ${where} to check it returns {"keys": [...]}.`,
          };
        }
        return { status: 'error', subject, detail: `${where}: ${e.message}`, fix: reachFix(where, e, keysField, origin) };
      }
      const keys = ev.keySet.value.keys;
      const placeholder = keys.filter((k) => k.placeholder);
      if (placeholder.length > 0) {
        return {
          status: 'fail',
          subject,
          detail: `${where} holds Istio's placeholder key (${describeKey(placeholder[0] as JwkSummary)}): this is what istiod pushes when it failed to fetch the real keys, so every token is rejected.`,
          fix: `Find istiod's fetch error (kubectl logs -n istio-system deploy/istiod | grep -i jwks) and make the real key URL reachable from istiod, or replace the jwks with the IdP's real public keys in ${origin}.`,
        };
      }
      if (keys.length === 0) {
        return {
          status: 'fail',
          subject,
          detail: `${where} has no key: Envoy answers 401 "Jwks doesn't have any valid public key" to every token.`,
          fix: inline ? `Put the IdP's public keys into jwks in ${origin}.` : `Check the IdP publishes signing keys at ${where}, or point ${keysField} in ${origin} at the right key set.`,
        };
      }
      const usable = keys.filter((k) => k.usable);
      const unusable = keys.filter((k) => !k.usable);
      if (usable.length === 0) {
        return {
          status: 'fail',
          subject,
          detail: `None of the ${plural(keys.length, 'key')} in ${where} is usable (${listSome(unusable.map((k) => `${describeKey(k)}: ${k.problem ?? 'unusable'}`), 2)}): 401 "Jwks doesn't have any valid public key" for every token.`,
          fix: `Publish RSA/EC/OKP signing keys (use: sig, alg RS*/PS*/ES*/EdDSA, n/e or x/y present) at ${inline ? `the jwks of ${origin}` : where}.`,
        };
      }
      if (unusable.length > 0) {
        return {
          status: 'fail',
          subject,
          detail: `${where} mixes usable keys with ${plural(unusable.length, 'key')} Envoy cannot load (${listSome(unusable.map((k) => `${describeKey(k)}: ${k.problem ?? 'unusable'}`), 2)}); istiod inlines them, and the proxy may reject the whole listener ("invalid local jwks", #41729), keeping its old config.`,
          fix: inline
            ? `Remove the unusable keys from jwks in ${origin}.`
            : `Remove the unusable keys from the IdP's key set, or inline only the good keys as jwks in ${origin}; check for rejections: istioctl proxy-status (LDS ERROR/STALE).`,
        };
      }
      const kids = keys.map((k) => k.kid).filter((k): k is string => k !== undefined);
      const dup = [...new Set(kids.filter((k, i) => kids.indexOf(k) !== i))];
      if (dup.length > 0) {
        return {
          status: 'warn',
          subject,
          detail: `${where} repeats kid ${listSome(dup, 3)}: Envoy tries every key with that kid, but many verifiers (apps reading the forwarded token, caches) take the first one, and it usually means a rotation went wrong.`,
          fix: `Give every key a unique kid at the IdP${inline ? ` (jwks in ${origin})` : ''}.`,
        };
      }
      return { status: 'pass', subject, detail: `${plural(keys.length, 'key')} from ${where}: ${listSome(keys.map(describeKey), 4)}.` };
    });
  },
});
