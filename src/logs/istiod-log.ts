/**
 * Finds istiod's key-fetch failures (ISTIO-JWT.md §3.2, every wording since 1.5) in its log. When istiod
 * cannot fetch an issuer's keys it pushes placeholder keys and every token fails, while nothing in the
 * RequestAuthentication looks wrong: these lines are the proof. Accepts the default text encoding
 * (`<time>\t<level>\t<scope>\t<msg>`), JSON encoding, and a `kubectl --timestamps` prefix.
 */
import type { IstiodKeyFetchFailure, IstiodLogEvidence } from '../evidence/model.js';
import { DISCOVERY_PATH } from '../lib/oidc-discovery.js';
import { redactLine } from '../lib/redact.js';
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

interface FetchFailureMatch {
  issuer?: string;
  url?: string;
  cause: string;
  placeholder: boolean;
}

const Q = '"([^"]*)"';

/** Each known wording, newest first; `cause` is the text after `": `. */
const PATTERNS: { re: RegExp; build: (m: RegExpExecArray) => FetchFailureMatch }[] = [
  {
    // 1.28.5+ / 1.29.1+ (warn)
    re: /JWKS fetch failed for issuer (\S+) \((\S*)\), using public-only JWKS with discarded private key/,
    build: (m) => ({ issuer: m[1], url: m[2], cause: 'istiod could not fetch the keys and pushed its public-only placeholder JWKS', placeholder: true }),
  },
  {
    // 1.15–1.28.4 / 1.29.0 (info level)
    re: /The JWKS key is not yet fetched for issuer (\S+) \((\S*)\), using a fake JWKS for now/,
    build: (m) => ({ issuer: m[1], url: m[2], cause: 'the keys were not fetched yet; istiod pushed a fake JWKS', placeholder: true }),
  },
  {
    // 1.10–1.14 fallback notice
    re: new RegExp(`Failed to fetch jwt public key from issuer ${Q}, jwks uri ${Q}: (.*)$`),
    build: (m) => ({ issuer: m[1], url: m[2], cause: m[3] ?? '', placeholder: true }),
  },
  {
    // 1.5–1.9 fallback notice
    re: new RegExp(`Failed to fetch jwt public key from ${Q}: (.*)$`),
    build: (m) => ({ url: m[1], cause: m[2] ?? '', placeholder: true }),
  },
  {
    re: new RegExp(`Failed to fetch jwks_uri from ${Q}: (.*)$`),
    build: (m) => {
      const url = m[1] ?? '';
      const out: FetchFailureMatch = { url, cause: m[2] ?? '', placeholder: false };
      if (url.endsWith(DISCOVERY_PATH)) out.issuer = url.slice(0, -DISCOVERY_PATH.length);
      return out;
    },
  },
  {
    // "Failed to get jwks URI from issuer", older "Failed to jwks URI from"
    re: new RegExp(`Failed to (?:get )?jwks URI from (?:issuer )?${Q}: (.*)$`),
    build: (m) => ({ issuer: m[1], cause: m[2] ?? '', placeholder: false }),
  },
  {
    // ≥1.29 "from jwks URI", ≤1.28 "from"
    re: new RegExp(`Failed to fetch public key from (?:jwks URI )?${Q}: (.*)$`),
    build: (m) => ({ url: m[1], cause: m[2] ?? '', placeholder: false }),
  },
  {
    re: new RegExp(`Failed to GET from ${Q}: (.*?)(?:\\. Retry in \\S+)?$`),
    build: (m) => ({ url: m[1], cause: m[2] ?? '', placeholder: false }),
  },
  {
    re: new RegExp(`Failed to refresh JWT public key from ${Q}: (.*)$`),
    build: (m) => ({ url: m[1], cause: m[2] ?? '', placeholder: false }),
  },
  {
    re: new RegExp(`Failed to resolve Jwks from issuer ${Q}: (.*)$`),
    build: (m) => ({ issuer: m[1], cause: m[2] ?? '', placeholder: false }),
  },
  {
    re: new RegExp(`pilot does not support fetch public key through https endpoint ${Q}`),
    build: (m) => ({ url: m[1], cause: 'istiod has no CA bundle to fetch https key URLs', placeholder: false }),
  },
  {
    // PILOT_JWT_ENABLE_REMOTE_JWKS=envoy with no cluster for the key host (scope authn)
    re: /Failed to look up Envoy cluster (.*?)\. Please create ServiceEntry/,
    build: (m) => {
      const detail = m[1] ?? '';
      const out: FetchFailureMatch = { cause: `no Envoy cluster for the key URL (remote JWKS mode): ${detail}`, placeholder: false };
      const url = /https?:\/\/[^\s"]+/.exec(detail)?.[0];
      if (url) out.url = url;
      return out;
    },
  },
];

/** Go's http client wraps errors as `Get "<url>": <cause>`: the inner cause is what the user acts on. */
function simplifyCause(cause: string): string {
  return cause.replace(/^(?:Get|Post|GET) "[^"]*": /, '').trim();
}

export function matchKeyFetchFailure(msg: string): FetchFailureMatch | undefined {
  for (const { re, build } of PATTERNS) {
    const m = re.exec(msg);
    if (!m) continue;
    const found = build(m);
    const out: FetchFailureMatch = { cause: simplifyCause(found.cause), placeholder: found.placeholder };
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

function pushBounded(list: string[], value: string): void {
  list.push(value.length > LINE_MAX_CHARS ? `${value.slice(0, LINE_MAX_CHARS - 1)}…` : value);
  if (list.length > MAX_LINES_KEPT) list.shift();
}

export function scanIstiodLog(text: string): Omit<IstiodLogEvidence, 'pod'> {
  let lines = 0;
  const groups = new Map<string, IstiodKeyFetchFailure>();
  const ackErrors: string[] = [];
  const keyUpdates: string[] = [];
  /** url → issuer, learned from lines that name both, to label lines that name only the url. */
  const issuerOfUrl = new Map<string, string>();

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
    if (!failure) continue;
    if (failure.issuer && failure.url) issuerOfUrl.set(failure.url, failure.issuer);
    const key = `${failure.issuer ?? ''}\u0000${failure.url ?? ''}\u0000${failure.cause}`;
    const group = groups.get(key);
    if (group) {
      group.count += 1;
      const t = later(group.time, time);
      if (t !== undefined) group.time = t;
      group.placeholder ||= failure.placeholder;
    } else {
      const created: IstiodKeyFetchFailure = { cause: redactLine(failure.cause), placeholder: failure.placeholder, count: 1 };
      if (failure.issuer) created.issuer = failure.issuer;
      if (failure.url) created.url = failure.url;
      if (time !== undefined) created.time = time;
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
  }
  return { lines, fetchFailures: [...merged.values()], ackErrors, keyUpdates };
}
