/**
 * Reading istiod and istio-proxy key-fetch evidence: what istiod's placeholder ("fake") JWKS looks like and
 * what Envoy then answers in each release, what a fetch error means and how to fix it, and whether a log
 * line is about a given JWT rule. Source: ISTIO-JWT §3.1–3.3 (istio/istio pilot/pkg/model/jwks_resolver.go
 * history, releasenotes), §7 items 2 and 16.
 */
import type { IstioVersion, JwtRule } from '../../model/index.js';
import { discoveryUrlFor } from '../../istio/oidc-discovery.js';

export interface PlaceholderMeaning {
  /** What istiod put into the proxy instead of the keys. */
  pushed: string;
  /** What Envoy then answers for a real token. */
  status: string;
}

/** ISTIO-JWT §3.2 table. */
export function placeholderMeaning(v: IstioVersion | undefined): PlaceholderMeaning {
  if (!v) {
    return {
      pushed: 'placeholder keys',
      status: '"Jwt verification fails" (Istio 1.21+) or "Jwks doesn\'t have key to match kid or alg from Jwt" (1.8–1.20)',
    };
  }
  const at = (minor: number): boolean => v.major > 1 || (v.major === 1 && v.minor >= minor);
  // Pilot ≤ 1.4 pushes local_jwks { inline_string: "" } (1.0.6 plugin/authn/authentication.go, 1.4.6
  // security/authn/v1alpha1/policy_applier.go: "Put empty string in config even if above ResolveJwtPubKey fails");
  // legacy origins then answer with istio_authn's body.
  if (!at(5)) {
    return { pushed: 'an empty key set (local_jwks inline_string: "")', status: '"Origin authentication failed." (the JWT filter holds no keys)' };
  }
  if (!at(8)) return { pushed: 'an empty key set (Istio 1.5–1.7)', status: '"Jwks doesn\'t have any valid public key"' };
  if (!at(21)) {
    return {
      pushed: 'a placeholder key with kid "abc" (Istio 1.8–1.20)',
      status: '"Jwks doesn\'t have key to match kid or alg from Jwt"',
    };
  }
  const publicOnly = at(30) || (v.major === 1 && v.minor === 29 && v.patch >= 1) || (v.major === 1 && v.minor === 28 && v.patch >= 5);
  return {
    pushed: publicOnly
      ? 'a public-only placeholder key without kid (Istio 1.28.5+/1.29.1+)'
      : 'the static placeholder key without kid (Istio 1.21+)',
    status: '"Jwt verification fails"',
  };
}

export interface FetchCause {
  /** The cause in words. */
  words: string;
  fix: string;
  /** True when the text names no concrete cause (fallback notices, unknown errors). */
  generic?: boolean;
}

/** A cause the error text names, by pattern, in words and a fix (`target` is " (<url>)" or ""). */
type CausePattern = readonly [RegExp, (target: string) => FetchCause];

/** Causes on the way to the key server (TLS, DNS, timeouts, refusals, remote mode): checked before any HTTP status. */
const TRANSPORT_CAUSES: readonly CausePattern[] = [
  [
    /x509|certificate|tls:/,
    (target) => ({
      words: `istiod does not trust the TLS certificate of the key server${target}`,
      fix:
        'Give istiod the CA: Helm value pilot.jwksResolverExtraRootCA (ConfigMap pilot-jwks-extra-cacerts, mounted as /cacerts/extra.pem), ' +
        'or put the keys inline in jwtRules[].jwks; JWKS_RESOLVER_INSECURE_SKIP_VERIFY=true on istiod (1.19+) only as a last resort.',
    }),
  ],
  [
    /does not support fetch public key through https|no ca bundle/,
    () => ({
      words: 'istiod has no CA bundle to make https calls with',
      fix: 'Check the istiod image/pod has system CA certificates, or set pilot.jwksResolverExtraRootCA; or inline the keys in jwtRules[].jwks.',
    }),
  ],
  [
    /no such host|server misbehaving|lookup /,
    (target) => ({
      words: `istiod cannot resolve the key server's host name${target}`,
      fix:
        'Use a host name istiod can resolve from istio-system (an internal-only name of the IdP? use its in-cluster Service DNS name), ' +
        'set HTTPS_PROXY on istiod if the cluster reaches the Internet through a proxy, or inline the keys in jwtRules[].jwks.',
    }),
  ],
  [
    /deadline exceeded|timeout|timed out|i\/o timeout/,
    (target) => ({
      words: `istiod's request to the key server timed out${target}`,
      fix:
        'Allow egress from istiod (istio-system) to the IdP: NetworkPolicy, firewall, egress gateway; set HTTPS_PROXY on istiod behind a proxy; ' +
        'raise jwtRules[].timeout (1.22+) for a slow IdP; or inline the keys in jwtRules[].jwks.',
    }),
  ],
  [
    /connection refused|connection reset|no route to host|network is unreachable/,
    (target) => ({
      words: `istiod cannot connect to the key server${target}`,
      fix: 'Check the URL (host and port) and egress from istiod to it; or inline the keys in jwtRules[].jwks.',
    }),
  ],
  [
    /link-local|metadata address|blocked cidr|connection blocked/,
    () => ({
      words: 'istiod refused the key server address (BLOCKED_CIDRS_IN_JWKS_URIS / SSRF guard, Istio 1.30+)',
      fix: 'Serve the keys from an address istiod allows, adjust BLOCKED_CIDRS_IN_JWKS_URIS on istiod, or inline the keys in jwtRules[].jwks.',
    }),
  ],
  [
    /look up envoy cluster|no envoy cluster|is not configured|serviceentry|remote jwks/,
    (target) => ({
      words:
        `the sidecar, not istiod, fetches the keys (remote JWKS mode, PILOT_JWT_ENABLE_REMOTE_JWKS=envoy) and there is no mesh cluster for the key server${target}, ` +
        'so the proxy answers 401 "Jwks remote fetch is failed"',
      fix:
        'The pods\' sidecars must reach the JWKS host: create a ServiceEntry for it (and a DestinationRule with TLS origination for https) ' +
        'and allow egress from the workload\'s namespace; or set PILOT_JWT_ENABLE_REMOTE_JWKS=hybrid (or remove it: istiod fetches and inlines the keys) on istiod.',
    }),
  ],
];

/** Causes about what came back (no key set) or istiod's notice that it gave up: checked after the HTTP status. */
const DOCUMENT_CAUSES: readonly CausePattern[] = [
  [
    /not a valid jwks|invalid jwks_uri|jwks_uri/,
    (target) => ({
      words: `the URL does not return a usable key set or discovery document${target}`,
      fix: 'Point jwksUri at the JWKS JSON (with "keys"), not at an HTML page or the discovery document.',
    }),
  ],
  [
    /fake jwks|placeholder|not yet fetched/,
    (target) => ({
      words: `istiod gave up fetching the keys and pushed placeholder keys${target} (this log line does not say why)`,
      fix:
        'Find the earlier "Failed to fetch …" line for this URL in the istiod log for the cause (TLS, DNS, timeout, 404), ' +
        'or open the URL from a pod in istio-system; inlining the keys in jwtRules[].jwks avoids the fetch.',
      generic: true,
    }),
  ],
];

function httpStatusCause(code: string, target: string): FetchCause {
  if (code === '404') {
    return {
      words: `the key/discovery URL answers 404${target}`,
      fix: 'Fix the URL: jwksUri must be the IdP\'s JWKS URL; without jwksUri, issuer must be such that <issuer>/.well-known/openid-configuration exists.',
    };
  }
  if (code === '401' || code === '403') {
    return {
      words: `the key server refuses anonymous requests (HTTP ${code})${target}`,
      fix: 'istiod cannot send credentials: publish the JWKS without authentication or inline the keys in jwtRules[].jwks.',
    };
  }
  return {
    words: `the key server answered HTTP ${code}${target}`,
    fix: 'Check the IdP is healthy and the URL right (open it with curl from a pod in istio-system).',
  };
}

/** Turns the error text of an istiod (or Envoy) fetch failure into words and a fix. */
export function explainFetchCause(cause: string, url: string | undefined): FetchCause {
  const c = cause.toLowerCase();
  const target = url ? ` (${url})` : '';
  const named = (patterns: readonly CausePattern[]): FetchCause | undefined => patterns.find(([re]) => re.test(c))?.[1](target);
  const status = /status (\d{3})/.exec(c);
  return (
    named(TRANSPORT_CAUSES) ??
    (status ? httpStatusCause(status[1] ?? '', target) : undefined) ??
    named(DOCUMENT_CAUSES) ?? {
      generic: true,
      words: `istiod could not fetch the keys${target}`,
      fix: 'Open the URL from a pod in istio-system (kubectl -n istio-system run curl --rm -it --image=curlimages/curl -- curl -v <url>) and fix what fails; or inline the keys in jwtRules[].jwks.',
    }
  );
}

const noSlash = (u: string): string => (u.endsWith('/') ? u.slice(0, -1) : u);

/** URLs (and the issuer) that an istiod log line about this rule would name, normalised without trailing "/". */
export function ruleFetchNames(rule: JwtRule, keySetUrl?: string): string[] {
  const names = new Set<string>();
  if (rule.issuer) {
    names.add(noSlash(rule.issuer));
    names.add(discoveryUrlFor(rule.issuer));
  }
  if (rule.jwksUri) names.add(noSlash(rule.jwksUri));
  if (keySetUrl) names.add(noSlash(keySetUrl));
  return [...names];
}

function host(u: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(u);
  return m?.[1]?.toLowerCase();
}

/**
 * Whether a failure (issuer and/or URL from the log) is about this rule: exact names first (with and
 * without trailing slash), then a URL under the issuer (Keycloak's <issuer>/protocol/openid-connect/certs,
 * found by discovery, is only known to istiod).
 */
export function failureIsAboutRule(rule: JwtRule, failure: { issuer?: string; url?: string; cause?: string }): boolean {
  // Remote-JWKS lines may name only the host ("host keys.example not found"): match it against the jwksUri.
  if (!failure.issuer && !failure.url && failure.cause && rule.jwksUri && !rule.jwks) {
    const h = host(rule.jwksUri);
    if (h !== undefined && failure.cause.toLowerCase().includes(h.replace(/:\d+$/, ''))) return true;
  }
  const names = ruleFetchNames(rule);
  const said = [failure.issuer, failure.url].filter((x): x is string => !!x).map(noSlash);
  if (said.some((s) => names.includes(s))) return true;
  if (failure.url && rule.issuer && noSlash(failure.url).startsWith(`${noSlash(rule.issuer)}/`)) return true;
  // A discovered jwks_uri on the issuer's host (e.g. https://idp/keys for https://idp/realms/x).
  if (!failure.issuer && failure.url && rule.issuer && !rule.jwksUri && !rule.jwks) {
    return host(failure.url) !== undefined && host(failure.url) === host(rule.issuer);
  }
  return false;
}

const PLACEHOLDER_B64_PREFIX = 'RXJyb3ItSXN0aW9kRmFpbGVkVG9GZXRjaEp3a3NVcmkt';

/** The URI a 1.8–1.20 placeholder key names (`Error-IstiodFailedToFetchJwksUri-<uri>`, maybe base64url). */
export function placeholderUri(marker: string): string | undefined {
  const plain = /Error-IstiodFailedToFetchJwksUri-([^"\s,}]+)/.exec(marker);
  if (plain?.[1]) return plain[1];
  const enc = new RegExp(`(${PLACEHOLDER_B64_PREFIX}[A-Za-z0-9_=-]*)`).exec(marker);
  if (!enc?.[1]) return undefined;
  const text = Buffer.from(enc[1].replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  const m = /^Error-IstiodFailedToFetchJwksUri-(.+)$/.exec(text);
  return m?.[1] && /^https?:\/\/[\x21-\x7e]+$/.test(m[1]) ? m[1] : undefined;
}
