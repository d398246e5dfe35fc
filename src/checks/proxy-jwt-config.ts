// Looks in the istio-proxy log for signs of the keys the proxy actually holds: legacy `Loaded JwtAuthConfig`
// lines (local_jwks present = Pilot fetched keys), listener rejections for invalid local jwks (the proxy then
// keeps its OLD listener, maybe without the policy), Envoy-side JWKS fetch failures, and istiod placeholder keys.
// Source: ISTIO-JWT §1.4, §3.2–3.3, §4.2 (istio#41729, #22597), §7 items 2, 15, 16.
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import type { JwtRule, LoadedKeySet } from '../model/index.js';
import { discoveryUrlFor } from '../istio/oidc-discovery.js';
import { applyingRules, listSome, plural, ruleOrigin, ruleSubject } from './lib/policy.js';
import { placeholderMeaning, placeholderUri } from './lib/log-keys.js';
import { refusalText, shorten, slotValue } from './lib/token-common.js';

/** What a key-less dump shows, in words (ISTIO-JWT §1.4; Pilot 1.0.6 authentication.go pushes "" when its fetch fails). */
const NO_KEYS_WORDS: Record<Exclude<LoadedKeySet, 'keys' | 'remote'>, string> = {
  'empty-inline': 'an empty local_jwks (inline_string: "")',
  'no-keys': 'a local_jwks key set without keys',
  invalid: 'a local_jwks inline_string that is not a key set',
  absent: 'no local_jwks',
};

function noKeysWords(keySet: LoadedKeySet | undefined): string {
  return keySet === undefined || keySet === 'keys' || keySet === 'remote' ? NO_KEYS_WORDS.absent : NO_KEYS_WORDS[keySet];
}

/** The URL Pilot fetches the keys from: jwksUri, else what discovery found, else the discovery document. */
function keyUrl(rule: JwtRule, discovered: string | undefined): string {
  return rule.jwksUri ?? discovered ?? (rule.issuer ? `${discoveryUrlFor(rule.issuer)} → jwks_uri` : 'the key URL');
}

export default defineCheck({
  id: 'proxy.jwt-config',
  title: 'The proxy holds usable keys for each issuer',
  docs: 'https://istio.io/latest/docs/ops/common-problems/security-issues/',
  needs: ['proxyLogs', 'istio', 'policies'],
  // Only to name the key URL that discovery found, when a key-less dump is seen.
  uses: ['issuers'],
  run({ proxyLogs, istio, policies, issuers }) {
    const signs = slotValue(proxyLogs).jwtConfig;
    const pods = slotValue(proxyLogs).pods.join(', ') || 'the proxy';
    const rules = applyingRules(slotValue(policies));
    const info = slotValue(istio);
    const outcomes: CheckOutcome[] = [];

    if (signs.listenerRejections.length) {
      const last = signs.listenerRejections[signs.listenerRejections.length - 1] ?? '';
      outcomes.push({
        status: 'fail',
        detail:
          `Envoy rejected the listener: invalid local jwks — the proxy may run WITHOUT the new policy ` +
          `(${signs.listenerRejections.length}× in ${pods}): ${shorten(last, 220)}`,
        fix:
          'Fix the key set named in the line (see issuer.jwks: unsupported kty/alg, malformed n/e, EC key without crv) or inline a valid jwks; ' +
          '`istioctl proxy-status` shows LDS STALE/ERROR until the proxy accepts the new config.',
      });
    }
    if (signs.remoteFetchFailures.length) {
      const mode = info.env['PILOT_JWT_ENABLE_REMOTE_JWKS'];
      const last = signs.remoteFetchFailures[signs.remoteFetchFailures.length - 1] ?? '';
      outcomes.push({
        status: 'fail',
        detail:
          `Envoy fetches the JWKS itself${mode ? ` (PILOT_JWT_ENABLE_REMOTE_JWKS=${mode})` : ' (remote JWKS mode)'} and the fetch failed ` +
          `(${signs.remoteFetchFailures.length}×): ${shorten(last, 200)} → 401 "Jwks remote fetch is failed"`,
        fix:
          'Create a ServiceEntry for the JWKS host (plus a DestinationRule with TLS origination for https), ' +
          'or set PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid on istiod (or remove it so istiod fetches and inlines the keys).',
      });
    }
    if (signs.placeholderKeys.length) {
      const uris = [...new Set(signs.placeholderKeys.map(placeholderUri).filter((u): u is string => !!u))];
      const meaning = placeholderMeaning(info.version);
      outcomes.push({
        status: 'fail',
        detail:
          `istiod pushed placeholder keys (${shorten(signs.placeholderKeys[0] ?? '', 120)})${uris.length ? ` for ${uris.join(', ')}` : ''}: ` +
          `it could not fetch the real ones, so every token gets 401 ${meaning.status}`,
        fix: 'Find why istiod cannot fetch the keys (see istiod.jwks-fetch) and fix that; istiod pushes the real keys after its next successful fetch.',
      });
    }
    for (const rule of rules) {
      const loaded = signs.loadedConfigs.filter((c) => c.issuer !== undefined && c.issuer === rule.issuer && c.keySet !== 'remote');
      const latest = loaded[loaded.length - 1];
      if (!latest) continue;
      const subject = ruleSubject(rule);
      if (latest.hasLocalJwks) {
        const kids = latest.kids?.length ? ` (kids ${listSome(latest.kids.map((k) => JSON.stringify(k)), 4)})` : '';
        const count = latest.kids ? `${plural(latest.kids.length, 'key')} in local_jwks` : 'local_jwks';
        outcomes.push({ status: 'pass', subject, detail: `Loaded JwtAuthConfig for ${rule.issuer} holds ${count}${kids}: Pilot fetched the keys` });
        continue;
      }
      const url = keyUrl(rule, issuers.ok ? issuers.value[rule.key]?.keySetUrl : undefined);
      outcomes.push({
        status: 'fail',
        subject,
        detail:
          `Loaded JwtAuthConfig for ${rule.issuer} has ${noKeysWords(latest.keySet)}: the proxy holds NO keys for this issuer, ` +
          `so Pilot could not fetch them from ${url} (${ruleOrigin(rule)}), and every token gets ${refusalText("Jwks doesn't have any valid public key", rule.api === 'legacy')}`,
        fix:
          `Open ${url} from a pod in ${info.rootNamespace} (Pilot must reach it), read the Pilot/istiod log for "Failed to fetch …" (see istiod.jwks-fetch), ` +
          `or set the keys inline (${rule.api === 'legacy' ? 'jwks in the origin' : 'jwtRules[].jwks'}).`,
      });
    }
    if (outcomes.length === 0) {
      return {
        status: 'skip',
        detail:
          'the proxy log shows nothing about JWT keys; `istioctl proxy-config listener <pod> -o json` shows them ' +
          '(jwt_authn providers, localJwks)',
      };
    }
    return outcomes;
  },
});
