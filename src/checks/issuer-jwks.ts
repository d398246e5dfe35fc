// Verifies that each rule's key set (inline jwks, jwksUri, or discovery's jwks_uri) parses and holds keys Envoy
// can load, with unique kids. By default istiod inlines the keys into every proxy's listener: an empty set means
// every token fails ("Jwks doesn't have any valid public key"); the first key Envoy cannot load makes it reject
// the whole listener ("invalid local jwks"), so the proxy keeps its previous config; a placeholder key means
// istiod's fetch failed. With PILOT_JWT_ENABLE_REMOTE_JWKS=envoy the sidecar fetches a jwksUri itself, and a
// set it cannot load is a failed fetch: 401 "Jwks remote fetch is failed" (ISTIO-JWT §3.1–3.3, §4.1, §4.2,
// §7.15; istio #41729, #22597). Envoy never reads `use`: an RSA-OAEP "enc" key loads and is only noted.
import { defineCheck } from '../engine/check.js';
import type { CheckOutcome } from '../engine/check.js';
import type { EvidenceError, IssuerEvidence, JwkSummary } from '../model/index.js';
import { envoySkipsEntry } from '../istio/jwks-summary.js';
import { jwksFetchMode, reachFix } from './lib/fetch-fix.js';
import type { JwksFetchMode } from './lib/fetch-fix.js';
import { listSome, perApplyingRule, plural } from './lib/policy.js';
import type { RuleNames } from './lib/policy.js';

export function describeKey(k: JwkSummary): string {
  const use = k.use !== undefined && k.use !== 'sig' ? `use ${k.use}` : undefined;
  const parts = [k.kty ?? 'kty?', k.alg ?? k.crv, k.kid !== undefined ? `kid ${k.kid}` : 'no kid', use].filter(Boolean);
  return parts.join(' ');
}

/** Envoy's status for a key: the problem without jwtcheck's "(alg is …)" tail. */
const envoyStatus = (k: JwkSummary): string => (k.problem ?? 'unusable').replace(/ \([^()]*\)$/, '');

/** Where one rule's key set comes from and who fetches it: what every outcome below names. */
interface KeySetPlace extends RuleNames {
  inline: boolean;
  where: string;
  ruleMode: JwksFetchMode;
  sidecarFetches: boolean;
  hybridNote: string;
}

function placeOf(ev: IssuerEvidence, names: RuleNames, mode: JwksFetchMode): KeySetPlace {
  const inline = ev.keySource === 'inline';
  // istiod resolves discovery itself in every mode; only a jwksUri can be left to the sidecar (§3.3).
  const ruleMode = ev.keySource === 'jwksUri' ? mode : 'istiod';
  return {
    ...names,
    inline,
    where: inline ? `inline jwks of ${names.origin}` : (ev.keySetUrl ?? 'the key set URL'),
    ruleMode,
    sidecarFetches: ruleMode === 'envoy',
    hybridNote: ruleMode === 'hybrid' ? ' (in hybrid mode, if the sidecar fetches this host itself: 401 "Jwks remote fetch is failed")' : '',
  };
}

/** The key set could not be read: a broken answer fails, an unreachable one is an error. */
function unreadSet(p: KeySetPlace, e: EvidenceError): CheckOutcome {
  const { subject, origin, keysField, inline, where } = p;
  const broken = e.code === 'http-status' || e.code === 'invalid' || e.code === 'too-large' || e.code === 'not-found';
  if (!broken) return { status: 'error', subject, detail: `${where}: ${e.message}`, fix: reachFix(where, e, keysField, origin, p.ruleMode) };
  return {
    status: 'fail',
    subject,
    detail: inline
      ? `Inline jwks of ${origin} does not parse: ${e.message} — Envoy rejects the listener ("invalid local jwks").`
      : p.sidecarFetches
        ? `${where}: ${e.message} — the sidecar fetches this key set itself (PILOT_JWT_ENABLE_REMOTE_JWKS=envoy) and gets the same, so every token gets 401 "Jwks remote fetch is failed".`
        : `${where}: ${e.message} — istiod cannot fetch the keys, pushes placeholder keys, and every token is rejected${p.hybridNote}.`,
    fix: inline
      ? `Fix the jwks of ${origin}: it must be a JSON object {"keys": [...]} of public keys.`
      : `Correct ${keysField} in ${origin} (or the IdP's jwks_uri); open ${where} to check it returns {"keys": [...]}.`,
  };
}

/** Some keys Envoy cannot load: the listener (or the sidecar's fetched set) is rejected. */
function unloadableKeys(p: KeySetPlace, entries: readonly JwkSummary[], unusable: readonly JwkSummary[], skippedNote: string): CheckOutcome {
  const { subject, origin, inline, where, sidecarFetches } = p;
  const first = unusable[0] as JwkSummary;
  const list = listSome(unusable.map((k) => `${describeKey(k)}: ${k.problem ?? 'unusable'}`), 2);
  const usableCount = entries.length - unusable.length;
  const what =
    usableCount === 0
      ? `None of the ${plural(entries.length, 'key')} in ${where} loads in Envoy (${list})`
      : `${where} mixes ${plural(usableCount, 'loadable key')} with ${plural(unusable.length, 'key')} Envoy cannot load (${list})`;
  const consequence = sidecarFetches
    ? `the sidecar fetches this set itself (PILOT_JWT_ENABLE_REMOTE_JWKS=envoy) and Envoy discards a set with a key it cannot load: every token gets 401 "Jwks remote fetch is failed"`
    : `${inline ? 'istiod copies this jwks' : 'istiod inlines the set'} into the proxy's listener, and Envoy rejects the whole listener at the first key it cannot load ` +
      `("Provider 'origins-<n>' in jwt_authn config has invalid local jwks: ${envoyStatus(first)}", #41729): the proxy keeps its previous config, ` +
      `possibly without this JWT rule at all${usableCount > 0 ? ' (only the newest Envoy builds skip the bad key and keep the others)' : ''}${p.hybridNote}`;
  return {
    status: 'fail',
    subject,
    detail: `${what}${skippedNote}; ${consequence}.`,
    fix: inline
      ? `Remove the keys Envoy cannot load from jwks in ${origin}${usableCount === 0 ? ' and put the IdP\'s public signing keys there (RSA alg RS*/PS*, EC alg ES* with its crv, n/e or x/y present)' : ''}.`
      : `Remove the keys Envoy cannot load from the IdP's key set, or inline only the good keys as jwks in ${origin}; ` +
        (sidecarFetches ? 'check the proxy log for "fetch pubkey … failed".' : 'check for rejections: istioctl proxy-status (LDS ERROR/STALE).'),
  };
}

/** Keys that all load: repeated kids warn; otherwise the set passes ("use" is only noted). */
function loadableKeys(p: KeySetPlace, entries: readonly JwkSummary[], skippedNote: string): CheckOutcome {
  const { subject, origin, inline, where } = p;
  const kids = entries.map((k) => k.kid).filter((k): k is string => k !== undefined);
  const dup = [...new Set(kids.filter((k, i) => kids.indexOf(k) !== i))];
  if (dup.length > 0) {
    return {
      status: 'warn',
      subject,
      detail: `${where} repeats kid ${listSome(dup, 3)}: Envoy tries every key with that kid, but many verifiers (apps reading the forwarded token, caches) take the first one, and it usually means a rotation went wrong.`,
      fix: `Give every key a unique kid at the IdP${inline ? ` (jwks in ${origin})` : ''}.`,
    };
  }
  const notSigning = entries.filter((k) => k.use !== undefined && k.use !== 'sig');
  const useNote =
    notSigning.length > 0
      ? ` Envoy ignores "use": it loads the ${plural(notSigning.length, `"${notSigning[0]?.use ?? 'enc'}" key`)} too and only tries ${notSigning.length === 1 ? 'it' : 'them'} for a token whose kid/alg match, so ${notSigning.length === 1 ? 'it does' : 'they do'} no harm.`
      : '';
  return {
    status: 'pass',
    subject,
    detail: `${plural(entries.length, 'key')} from ${where}: ${listSome(entries.map(describeKey), 4)}${skippedNote}.${useNote}`,
  };
}

/** The keys of a set that was read: a placeholder, none, some Envoy cannot load, or all loadable. */
function judgeKeys(p: KeySetPlace, keys: readonly JwkSummary[]): CheckOutcome {
  const { subject, origin, inline, where, keysField } = p;
  const placeholder = keys.filter((k) => k.placeholder);
  if (placeholder.length > 0) {
    return {
      status: 'fail',
      subject,
      detail: `${where} holds Istio's placeholder key (${describeKey(placeholder[0] as JwkSummary)}): this is what istiod pushes when it failed to fetch the real keys, so every token is rejected.`,
      fix: `Find istiod's fetch error (kubectl logs -n istio-system deploy/istiod | grep -i jwks) and make the real key URL reachable from istiod, or replace the jwks with the IdP's real public keys in ${origin}.`,
    };
  }
  // Entries that are not JSON objects are skipped by Envoy: they neither load nor fail the set.
  const entries = keys.filter((k) => !envoySkipsEntry(k));
  const skipped = keys.length - entries.length;
  const skippedNote = skipped > 0 ? ` (${plural(skipped, 'entry', 'entries')} of [keys] not a JSON object, which Envoy skips)` : '';
  if (entries.length === 0) {
    return {
      status: 'fail',
      subject,
      detail: `${where} has no key${skippedNote}: Envoy answers 401 "Jwks doesn't have any valid public key" to every token.`,
      fix: inline ? `Put the IdP's public keys into jwks in ${origin}.` : `Check the IdP publishes signing keys at ${where}, or point ${keysField} in ${origin} at the right key set.`,
    };
  }
  const unusable = entries.filter((k) => !k.usable);
  return unusable.length > 0 ? unloadableKeys(p, entries, unusable, skippedNote) : loadableKeys(p, entries, skippedNote);
}

export default defineCheck({
  id: 'issuer.jwks',
  title: 'Key set has usable signing keys',
  docs: 'https://istio.io/latest/docs/reference/config/security/request_authentication/',
  needs: ['policies', 'issuers'],
  uses: ['istio'],
  run(evidence) {
    const issuers = evidence.issuers.ok ? evidence.issuers.value : {};
    const mode = jwksFetchMode(evidence.istio.ok ? evidence.istio.value.env : undefined);
    return perApplyingRule(evidence.policies, (rule, names) => {
      const { subject } = names;
      const ev = issuers[rule.key];
      if (!ev || ev.keySource === 'none') {
        return { status: 'skip', subject, detail: 'No key set location is known (discovery failed or the issuer is not a URL): see issuer.discovery and issuer.url.' };
      }
      const place = placeOf(ev, names, mode);
      if (!ev.keySet) return { status: 'skip', subject, detail: `jwtcheck did not read ${place.where} (offline input without issuer documents?).` };
      return ev.keySet.ok ? judgeKeys(place, ev.keySet.value.keys) : unreadSet(place, ev.keySet.error);
    });
  },
});
