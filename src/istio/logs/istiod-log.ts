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

/** Each known wording, newest first; `cause` is the text after `": `. */
const PATTERNS: { re: RegExp; path: FetchPath; build: (m: RegExpExecArray) => PatternResult }[] = [
  {
    // 1.28.5+ / 1.29.1+ (warn)
    re: /JWKS fetch failed for issuer (\S+) \((\S*)\), using public-only JWKS with discarded private key/,
    path: 'fallback',
    build: (m) => ({ issuer: m[1], url: m[2], cause: 'istiod could not fetch the keys and pushed its public-only placeholder JWKS' }),
  },
  {
    // 1.15–1.28.4 / 1.29.0 (info level)
    re: /The JWKS key is not yet fetched for issuer (\S+) \((\S*)\), using a fake JWKS for now/,
    path: 'fallback',
    build: (m) => ({ issuer: m[1], url: m[2], cause: 'the keys were not fetched yet; istiod pushed a fake JWKS' }),
  },
  {
    // 1.10–1.14 fallback notice
    re: new RegExp(`Failed to fetch jwt public key from issuer ${Q}, jwks uri ${Q}: (.*)$`),
    path: 'fallback',
    build: (m) => ({ issuer: m[1], url: m[2], cause: m[3] ?? '' }),
  },
  {
    // 1.5–1.9 fallback notice
    re: new RegExp(`Failed to fetch jwt public key from ${Q}: (.*)$`),
    path: 'fallback',
    build: (m) => ({ url: m[1], cause: m[2] ?? '' }),
  },
  {
    // Discovery: logged on the push path and, followed by a refresh line, on the refresh path (see classify).
    re: new RegExp(`Failed to fetch jwks_uri from ${Q}: (.*)$`),
    path: 'push',
    build: (m) => {
      const url = m[1] ?? '';
      const out: PatternResult = { url, cause: m[2] ?? '' };
      if (url.endsWith(DISCOVERY_PATH)) out.issuer = url.slice(0, -DISCOVERY_PATH.length);
      return out;
    },
  },
  {
    // "Failed to get jwks URI from issuer", older "Failed to jwks URI from" (push path)
    re: new RegExp(`Failed to (?:get )?jwks URI from (?:issuer )?${Q}: (.*)$`),
    path: 'push',
    build: (m) => ({ issuer: m[1], cause: m[2] ?? '' }),
  },
  {
    // ≥1.29 "from jwks URI", ≤1.28 "from" (push path)
    re: new RegExp(`Failed to fetch public key from (?:jwks URI )?${Q}: (.*)$`),
    path: 'push',
    build: (m) => ({ url: m[1], cause: m[2] ?? '' }),
  },
  {
    // Only the refresh path retries (ISTIO-JWT §3.1).
    re: new RegExp(`Failed to GET from ${Q}: (.*?)(?:\\. Retry in \\S+)?$`),
    path: 'refresh',
    build: (m) => ({ url: m[1], cause: m[2] ?? '' }),
  },
  {
    re: new RegExp(`Failed to refresh JWT public key from ${Q}: (.*)$`),
    path: 'refresh',
    build: (m) => ({ url: m[1], cause: m[2] ?? '' }),
  },
  {
    re: new RegExp(`Failed to resolve Jwks from issuer ${Q}: (.*)$`),
    path: 'refresh',
    build: (m) => ({ issuer: m[1], cause: m[2] ?? '' }),
  },
  {
    // No CA bundle: every fetch fails, on both paths.
    re: new RegExp(`pilot does not support fetch public key through https endpoint ${Q}`),
    path: 'push',
    build: (m) => ({ url: m[1], cause: 'istiod has no CA bundle to fetch https key URLs' }),
  },
  {
    // PILOT_JWT_ENABLE_REMOTE_JWKS=envoy with no cluster for the key host (scope authn)
    re: /Failed to look up Envoy cluster (.*?)\. Please create ServiceEntry/,
    path: 'remote',
    build: (m) => {
      const detail = m[1] ?? '';
      const out: PatternResult = { cause: `${REMOTE_JWKS_CAUSE}: ${detail}` };
      const url = /https?:\/\/[^\s"]+/.exec(detail)?.[0];
      if (url) out.url = url;
      return out;
    },
  },
];

const placeholderPath = (path: FetchPath): boolean => path === 'fallback' || path === 'push';

/** Go's http client wraps errors as `Get "<url>": <cause>`: the inner cause is what the user acts on. */
function simplifyCause(cause: string): string {
  return cause.replace(/^(?:Get|Post|GET) "[^"]*": /, '').trim();
}

export function matchKeyFetchFailure(msg: string): FetchFailureMatch | undefined {
  for (const { re, path, build } of PATTERNS) {
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
