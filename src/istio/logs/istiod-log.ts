/**
 * Finds istiod's key-fetch failures (ISTIO-JWT.md §3.2, every wording since 1.5) in its log. When istiod
 * cannot fetch an issuer's keys on the push path it pushes placeholder keys and every token fails, while
 * nothing in the RequestAuthentication looks wrong: these lines are the proof. The background refresh path
 * (`Failed to GET from … Retry in 1s`, `Failed to refresh JWT public key from`, `Failed to resolve Jwks from
 * issuer`) keeps the last good keys instead, so its failures are marked `placeholder: false`.
 * Accepts the default text encoding (`<time>\t<level>\t<scope>\t<msg>`), JSON encoding, and a
 * `kubectl --timestamps` prefix.
 */
import type { IstiodKeyFetchFailure, IstiodLogEvidence } from '../../model/index.js';
import { DISCOVERY_PATH } from '../oidc-discovery.js';
import { redactLine } from '../../lib/redact.js';
import { linesOf, stripKubectlTimestamp } from './log-prefix.js';

/** Most recent lines kept per list (ACK errors, key updates). */
export const MAX_LINES_KEPT = 10;
const LINE_MAX_CHARS = 400;

export interface IstiodLogLine {
  time?: string;
  level?: string;
  scope?: string;
  msg: string;
}

const TEXT_LINE = /^(\d{4}-\d\d-\d\dT\S+)\t(\w+)\t(?:([\w.-]+)\t)?(.*)$/;
/** Same shape with spaces (copied from a terminal that turned tabs into spaces). */
const SPACED_LINE = /^(\d{4}-\d\d-\d\dT\S+)\s+(debug|info|warn|warning|error|fatal)\s+(?:([a-z][\w.-]*)\s+)?(.*)$/;

export function parseIstiodLine(raw: string): IstiodLogLine | undefined {
  const { line, timestamp } = stripKubectlTimestamp(raw.trim());
  if (line === '') return undefined;
  if (line.startsWith('{')) {
    try {
      const d = JSON.parse(line) as Record<string, unknown>;
      const msg = typeof d['msg'] === 'string' ? d['msg'] : undefined;
      if (msg === undefined) return undefined;
      const out: IstiodLogLine = { msg };
      const time = typeof d['time'] === 'string' ? d['time'] : timestamp;
      if (time !== undefined) out.time = time;
      if (typeof d['level'] === 'string') out.level = d['level'];
      if (typeof d['scope'] === 'string') out.scope = d['scope'];
      return out;
    } catch {
      return undefined;
    }
  }
  const m = TEXT_LINE.exec(line) ?? SPACED_LINE.exec(line);
  if (!m) return timestamp !== undefined ? { time: timestamp, msg: line } : { msg: line };
  const out: IstiodLogLine = { time: m[1] ?? '', level: m[2] ?? '', msg: m[4] ?? '' };
  if (m[3] !== undefined) out.scope = m[3];
  return out;
}

// ---------------------------------------------------------------- the key-fetch lines

/**
 * Which code path logged the line (istio/istio pilot/pkg/model/jwks_resolver.go): the fallback notice and the
 * push-path errors mean placeholder keys were pushed; refresh/retry errors mean the last good keys stay;
 * `remote` is PILOT_JWT_ENABLE_REMOTE_JWKS=envoy with no mesh cluster for the key host (§3.3).
 */
export type FetchPath = 'fallback' | 'push' | 'refresh' | 'remote';

export interface FetchFailureMatch {
  issuer?: string;
  url?: string;
  cause: string;
  path: FetchPath;
  /** istiod pushed placeholder keys because of this failure: `fallback` and `push` lines. */
  placeholder: boolean;
}

/** The cause given to the remote-JWKS-mode line; checks recognise it with isRemoteJwksCause. */
export const REMOTE_JWKS_CAUSE = 'no Envoy cluster for the key URL (remote JWKS mode)';
export const isRemoteJwksCause = (cause: string): boolean => cause.startsWith(REMOTE_JWKS_CAUSE);

type PatternResult = Omit<FetchFailureMatch, 'placeholder' | 'path'>;

const Q = '"([^"]*)"';

/** One way Pilot/istiod words a key-fetch failure, with the releases that print it. */
export interface FetchWording {
  /** The Go format string exactly as in the source (istio/istio, file named in `source`). */
  wording: string;
  /** Istio releases (tags) whose source holds the wording, checked tag by tag from 1.0.0 to 1.30.3. */
  releases: string;
  level: 'info' | 'warn' | 'error';
  /** Source file; jwks_resolver.go logs in scope "model", the others in the default scope (no scope column). */
  source: string;
  re: RegExp;
  path: FetchPath;
  build: (m: RegExpExecArray) => PatternResult;
}

const RESOLVER = 'pilot/pkg/model/jwks_resolver.go';
const url = (m: RegExpExecArray): PatternResult => ({ url: m[1], cause: m[2] ?? '' });
const issuer = (m: RegExpExecArray): PatternResult => ({ issuer: m[1], cause: m[2] ?? '' });

/**
 * Every key-fetch wording since Istio 1.0, newest first within a kind (the first match wins): release range →
 * pattern. Before 1.5 the fetcher is Pilot (Deployment istio-pilot, container discovery); from 1.5 istiod.
 */
export const FETCH_WORDINGS: readonly FetchWording[] = [
  {
    wording: 'JWKS fetch failed for issuer %s (%s), using public-only JWKS with discarded private key - JWT requests will be rejected',
    releases: '1.27.8–1.27.9, 1.28.5+, 1.29.1+',
    level: 'warn',
    source: RESOLVER,
    re: /JWKS fetch failed for issuer (\S+) \((\S*)\), using public-only JWKS with discarded private key/,
    path: 'fallback',
    build: (m) => ({ issuer: m[1], url: m[2], cause: 'istiod could not fetch the keys and pushed its public-only placeholder JWKS' }),
  },
  {
    wording: 'The JWKS key is not yet fetched for issuer %s (%s), using a fake JWKS for now',
    releases: '1.15.0–1.27.7, 1.28.0–1.28.4, 1.29.0',
    level: 'info',
    source: RESOLVER,
    re: /The JWKS key is not yet fetched for issuer (\S+) \((\S*)\), using a fake JWKS for now/,
    path: 'fallback',
    build: (m) => ({ issuer: m[1], url: m[2], cause: 'the keys were not fetched yet; istiod pushed a fake JWKS' }),
  },
  {
    wording: 'Failed to fetch jwt public key from issuer %q, jwks uri %q: %s',
    releases: '1.10.0–1.14.x',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to fetch jwt public key from issuer ${Q}, jwks uri ${Q}: (.*)$`),
    path: 'fallback',
    build: (m) => ({ issuer: m[1], url: m[2], cause: m[3] ?? '' }),
  },
  {
    wording: 'Failed to fetch jwt public key from %q: %s',
    releases: '1.3.0–1.9.x',
    level: 'error',
    source: 'pilot/pkg/security/authn/v1alpha1/policy_applier.go (1.3–1.5), v1beta1/policy_applier.go (1.5–1.9)',
    re: new RegExp(`Failed to fetch jwt public key from ${Q}: (.*)$`),
    path: 'fallback',
    build: url,
  },
  {
    // No error tail: Pilot then pushes local_jwks { inline_string: "" } ("Put empty string in config even if … fails").
    wording: 'Failed to fetch jwt public key from %q',
    releases: '1.0.0–1.2.x',
    level: 'warn',
    source: 'pilot/pkg/networking/plugin/authn/authentication.go (1.0–1.1), pilot/pkg/security/authn/v1alpha1/policy_applier.go (1.2)',
    re: new RegExp(`Failed to fetch jwt public key from ${Q}\\s*$`),
    path: 'fallback',
    build: (m) => ({ url: m[1], cause: 'Pilot could not fetch the keys and pushed an empty key set (this line gives no reason)' }),
  },
  {
    // Discovery: logged on the push path and, followed by a refresh line, on the refresh path (see classify).
    wording: 'Failed to fetch jwks_uri from %q: %v',
    releases: '1.0.0+',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to fetch jwks_uri from ${Q}: (.*)$`),
    path: 'push',
    build: (m) => {
      const found = url(m);
      if (found.url?.endsWith(DISCOVERY_PATH)) found.issuer = found.url.slice(0, -DISCOVERY_PATH.length);
      return found;
    },
  },
  {
    // 1.0–1.3: the error drops the whole Policy for the service (GetConsolidateAuthenticationPolicy); 1.4–1.9 ignore it.
    wording: 'Failed to get jwks_uri for issuer %q: %v',
    releases: '1.0.0–1.9.x',
    level: 'warn',
    source: RESOLVER,
    re: new RegExp(`Failed to get jwks_uri for issuer ${Q}: (.*)$`),
    path: 'push',
    build: issuer,
  },
  {
    wording: 'Failed to get jwks URI from issuer %q: %v',
    releases: '1.27.0+',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to (?:get )?jwks URI from (?:issuer )?${Q}: (.*)$`),
    path: 'push',
    build: issuer,
  },
  {
    wording: 'Failed to jwks URI from %q: %v',
    releases: '1.10.0–1.26.x',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to (?:get )?jwks URI from (?:issuer )?${Q}: (.*)$`),
    path: 'push',
    build: issuer,
  },
  {
    wording: 'Failed to fetch pubkey from %q: %v',
    releases: '1.0.0–1.0.8, 1.1.0–1.1.8',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to fetch pubkey from ${Q}: (.*)$`),
    path: 'push',
    build: url,
  },
  {
    wording: 'Failed to fetch public key from jwks URI %q: %v',
    releases: '1.27.0+',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to fetch public key from (?:jwks URI )?${Q}: (.*)$`),
    path: 'push',
    build: url,
  },
  {
    wording: 'Failed to fetch public key from %q: %v',
    releases: '1.0.9, 1.1.9–1.26.x',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to fetch public key from (?:jwks URI )?${Q}: (.*)$`),
    path: 'push',
    build: url,
  },
  {
    // Only the refresh path retries (ISTIO-JWT §3.1).
    wording: 'Failed to GET from %q: %s. Retry in %v',
    releases: '1.8.0+',
    level: 'warn',
    source: RESOLVER,
    re: new RegExp(`Failed to GET from ${Q}: (.*?)(?:\\. Retry in .+)?$`),
    path: 'refresh',
    build: url,
  },
  {
    // Only the refresh path retries (ISTIO-JWT §3.1).
    wording: 'Failed to GET from %q: %s. Retry in %d seconds',
    releases: '1.0.9, 1.1.9–1.7.x',
    level: 'warn',
    source: RESOLVER,
    re: new RegExp(`Failed to GET from ${Q}: (.*?)(?:\\. Retry in .+)?$`),
    path: 'refresh',
    build: url,
  },
  {
    wording: 'Failed to refresh JWT public key from %q: %v',
    releases: '1.0.9, 1.1.9+',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to refresh JWT public key from ${Q}: (.*)$`),
    path: 'refresh',
    build: url,
  },
  {
    // The refresher drops the cached entry; the next push fetches again (and logs "Failed to fetch pubkey" if it fails).
    wording: 'Cannot fetch JWT public key from %q, %v',
    releases: '1.0.0–1.0.8, 1.1.0–1.1.8',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Cannot fetch JWT public key from ${Q}, (.*)$`),
    path: 'refresh',
    build: url,
  },
  {
    wording: 'Failed to resolve Jwks from issuer %q: %v',
    releases: '1.10.0+',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`Failed to resolve Jwks from issuer ${Q}: (.*)$`),
    path: 'refresh',
    build: issuer,
  },
  {
    // An error text (fmt.Errorf), found inside the lines above; alone only in hand-written or other logs.
    wording: 'pilot does not support fetch public key through https endpoint %q',
    releases: '1.0.0+',
    level: 'error',
    source: RESOLVER,
    re: new RegExp(`pilot does not support fetch public key through https endpoint ${Q}`),
    path: 'push',
    build: (m) => ({ url: m[1], cause: 'istiod has no CA bundle to fetch https key URLs' }),
  },
  {
    // PILOT_JWT_ENABLE_REMOTE_JWKS=envoy with no cluster for the key host (scope authn)
    wording: 'Failed to look up Envoy cluster %v. Please create ServiceEntry to register external JWKs server or set PILOT_JWT_ENABLE_REMOTE_JWKS to hybrid/istiod mode.',
    releases: '1.15.6–1.15.7, 1.18.0+',
    level: 'error',
    source: 'pilot/pkg/security/authn/policy_applier.go',
    re: /Failed to look up Envoy cluster (.*?)\. Please create ServiceEntry/,
    path: 'remote',
    build: (m) => {
      const detail = m[1] ?? '';
      const out: PatternResult = { cause: `${REMOTE_JWKS_CAUSE}: ${detail}` };
      const found = /https?:\/\/[^\s"]+/.exec(detail)?.[0];
      if (found) out.url = found;
      return out;
    },
  },
];

const placeholderPath = (path: FetchPath): boolean => path === 'fallback' || path === 'push';

/**
 * Go's http client wraps errors as `Get "<url>": <cause>` (Go 1.14+ quotes the URL in url.Error; Pilot 1.0–1.4,
 * built with older Go, prints `Get <url>: <cause>`): the inner cause is what the user acts on.
 */
function simplifyCause(cause: string): string {
  return cause.replace(/^(?:Get|Post|GET) (?:"[^"]*"|\S+): /, '').trim();
}

export function matchKeyFetchFailure(msg: string): FetchFailureMatch | undefined {
  for (const { re, path, build } of FETCH_WORDINGS) {
    const m = re.exec(msg);
    if (!m) continue;
    const found = build(m);
    const out: FetchFailureMatch = { cause: simplifyCause(found.cause), path, placeholder: placeholderPath(path) };
    if (found.issuer) out.issuer = found.issuer;
    if (found.url) out.url = found.url;
    return out;
  }
  return undefined;
}

const ACK_ERROR = /ADS:LDS: ACK ERROR/;
const KEY_UPDATE = /Updated cached JWT public key from "([^"]*)"/;

function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) >= Date.parse(a) ? b : a;
}

function earlier(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) < Date.parse(a) ? b : a;
}

function pushBounded(list: string[], value: string): void {
  list.push(value.length > LINE_MAX_CHARS ? `${value.slice(0, LINE_MAX_CHARS - 1)}…` : value);
  if (list.length > MAX_LINES_KEPT) list.shift();
}

/** Whether two failures name the same URL or the same issuer. */
function sameTarget(a: FetchFailureMatch, b: FetchFailureMatch): boolean {
  const noSlash = (u: string | undefined): string => (u ?? '').replace(/\/$/, '');
  return (!!a.url && a.url === b.url) || (!!a.issuer && noSlash(a.issuer) === noSlash(b.issuer));
}

/**
 * A discovery failure (`Failed to fetch jwks_uri from`) is logged by both paths; the line istiod writes next
 * for the same issuer/URL tells which: a refresh line (`Failed to refresh JWT public key from`, `Failed to
 * resolve Jwks from issuer`) makes it a refresh failure; otherwise (fallback notice, `Failed to get jwks URI
 * from issuer`, nothing) it stays a push failure.
 */
function classifyDiscoveryLines(found: { failure: FetchFailureMatch; discovery: boolean }[]): void {
  found.forEach((entry, i) => {
    if (!entry.discovery) return;
    const next = found.slice(i + 1).find((o) => sameTarget(o.failure, entry.failure));
    if (next?.failure.path === 'refresh') {
      entry.failure.path = 'refresh';
      entry.failure.placeholder = false;
    }
  });
}

export function scanIstiodLog(text: string): Omit<IstiodLogEvidence, 'pod'> {
  let lines = 0;
  const ackErrors: string[] = [];
  const keyUpdates: string[] = [];
  const found: { failure: FetchFailureMatch; time: string | undefined; discovery: boolean }[] = [];

  for (const raw of linesOf(text)) {
    if (raw.trim() === '') continue;
    lines += 1;
    const parsed = parseIstiodLine(raw);
    if (!parsed) continue;
    const { msg, time } = parsed;
    const stamp = time !== undefined ? `${time} ` : '';

    if (ACK_ERROR.test(msg) && /jwks?|jwt_authn/i.test(msg)) pushBounded(ackErrors, redactLine(`${stamp}${msg}`));
    const update = KEY_UPDATE.exec(msg);
    if (update) pushBounded(keyUpdates, `${stamp}${update[0]}`);

    const failure = matchKeyFetchFailure(msg);
    if (failure) found.push({ failure, time, discovery: msg.includes('Failed to fetch jwks_uri from') });
  }
  classifyDiscoveryLines(found);

  const groups = new Map<string, IstiodKeyFetchFailure>();
  /** url → issuer, learned from lines that name both, to label lines that name only the url. */
  const issuerOfUrl = new Map<string, string>();
  for (const { failure, time } of found) {
    if (failure.issuer && failure.url) issuerOfUrl.set(failure.url, failure.issuer);
    const key = `${failure.issuer ?? ''}\u0000${failure.url ?? ''}\u0000${failure.cause}`;
    const group = groups.get(key);
    if (group) {
      group.count += 1;
      const t = later(group.time, time);
      if (t !== undefined) group.time = t;
      const first = earlier(group.firstTime, time);
      if (first !== undefined) group.firstTime = first;
      // A group that holds any push-path or fallback line means placeholder keys were pushed.
      group.placeholder ||= failure.placeholder;
    } else {
      const created: IstiodKeyFetchFailure = { cause: redactLine(failure.cause), placeholder: failure.placeholder, count: 1 };
      if (failure.issuer) created.issuer = failure.issuer;
      if (failure.url) created.url = failure.url;
      if (time !== undefined) created.time = created.firstTime = time;
      groups.set(key, created);
    }
  }

  // Name the issuer on url-only lines, then merge groups that became identical.
  const merged = new Map<string, IstiodKeyFetchFailure>();
  for (const g of groups.values()) {
    if (!g.issuer && g.url && issuerOfUrl.has(g.url)) g.issuer = issuerOfUrl.get(g.url);
    const key = `${g.issuer ?? ''}\u0000${g.url ?? ''}\u0000${g.cause}`;
    const existing = merged.get(key);
    if (!existing) {
      merged.set(key, g);
      continue;
    }
    existing.count += g.count;
    existing.placeholder ||= g.placeholder;
    const t = later(existing.time, g.time);
    if (t !== undefined) existing.time = t;
    const first = earlier(existing.firstTime, g.firstTime);
    if (first !== undefined) existing.firstTime = first;
  }
  return { lines, fetchFailures: [...merged.values()], ackErrors, keyUpdates };
}
