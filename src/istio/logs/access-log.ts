/**
 * Parses istio-proxy access-log lines of every Istio era (ISTIO-JWT.md §4.4) and groups the 401/403
 * answers by who refused and why. The response-code details field says which filter answered:
 * jwt_authn (token/keys), rbac (AuthorizationPolicy), ext_authz (CUSTOM) or the application itself.
 * Streaming: memory grows with the number of distinct denial reasons, not with lines.
 */
import { inferRefusalFromBodySize } from './local-reply-bodies.js';
import type { AccessLogSummary, DenialGroup, MinuteCount } from '../../model/index.js';
import { redactLine } from '../../lib/redact.js';
import { stripKubectlTimestamp } from './log-prefix.js';

export type AccessLogFormat =
  | 'text' // Istio 1.9+ default TEXT, with response-code details
  | 'text-no-details' // Istio 1.8 (and 1.0/1.1 doc samples): no details field
  | 'text-mixer' // Istio 1.2–1.7: quoted mixer status where details now sit
  | 'json';

export interface AccessLogEntry {
  format: AccessLogFormat;
  /** %START_TIME% as printed. */
  startTime: string;
  method?: string;
  /** Path with token-like query values redacted. */
  path?: string;
  protocol?: string;
  /** 0 when Envoy never produced a response (downstream reset). */
  code: number;
  flags: string;
  /** %RESPONSE_CODE_DETAILS%; undefined when the format has none. */
  details?: string;
  /** Istio 1.2–1.7 `istio.mixer:status`. */
  mixerStatus?: string;
  authority?: string;
  upstreamCluster?: string;
  /** %BYTES_SENT%, read only for formats without details (it then identifies Istio's own refusals). */
  bytesSent?: number;
}

/** Samples kept per denial group: enough to show the shape, bounded for chat messages. */
export const SAMPLES_PER_GROUP = 3;
/** Longest sample kept, in characters (custom formats can print whole headers). */
export const SAMPLE_MAX_CHARS = 600;

const TEXT_HEAD = /^\[(\S+)\] "([^"]*)" (\d{3}|0) (\S+)(?: (.*))?$/;
/** An Envoy details string: snake_case, maybe `{…}` (which may hold spaces in 1.9–1.10) or `[…]`. */
const DETAILS = /^(-|[a-z][a-z0-9_]*(?:\{[^}]*\})?[^\s"]*)(?= |$)/;
const FIELD = /"([^"]*)"|(\S+)/g;

function fields(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(FIELD)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

function splitRequest(request: string): Pick<AccessLogEntry, 'method' | 'path' | 'protocol'> {
  const [method, path, protocol] = request.split(' ');
  const out: Pick<AccessLogEntry, 'method' | 'path' | 'protocol'> = {};
  if (method && method !== '-') out.method = method;
  if (path && path !== '-') out.path = redactLine(path);
  if (protocol) out.protocol = protocol;
  return out;
}

function parseJson(line: string): AccessLogEntry | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const d = doc as Record<string, unknown>;
  const code = typeof d['response_code'] === 'number' ? d['response_code'] : Number(d['response_code']);
  if (typeof d['start_time'] !== 'string' || !Number.isInteger(code)) return undefined;
  const s = (k: string): string | undefined => (typeof d[k] === 'string' && d[k] !== '' ? (d[k] as string) : undefined);
  const entry: AccessLogEntry = { format: 'json', startTime: d['start_time'], code, flags: s('response_flags') ?? '-' };
  const details = s('response_code_details');
  if (details !== undefined) entry.details = details;
  const method = s('method');
  const path = s('path');
  const protocol = s('protocol');
  const authority = s('authority');
  const cluster = s('upstream_cluster');
  if (method) entry.method = method;
  if (path) entry.path = redactLine(path);
  if (protocol) entry.protocol = protocol;
  if (authority) entry.authority = authority;
  if (cluster) entry.upstreamCluster = cluster;
  return entry;
}

/** `refusalsOnly`: read anything past the status code only for 401/403 (the streaming parser's fast path). */
export function parseAccessLogLine(rawLine: string, options: { refusalsOnly?: boolean } = {}): AccessLogEntry | undefined {
  const { line } = stripKubectlTimestamp(rawLine.trim());
  if (line.startsWith('{')) return parseJson(line);
  const head = TEXT_HEAD.exec(line);
  if (!head) return undefined;
  const [, startTime = '', request = '', codeText = '0', flags = '-', rest = ''] = head;
  const code = Number(codeText);
  // Only refusals are read further; most lines are 2xx and need nothing but their code (log-parsing bench).
  if (options.refusalsOnly && !isDenial(code)) return { format: 'text', startTime, code, flags };
  // The streaming summary never shows the request, authority or upstream cluster: it skips reading them.
  const lean = options.refusalsOnly === true;
  const entry: AccessLogEntry = { format: 'text', startTime, code, flags, ...(lean ? {} : splitRequest(request)) };

  const details = DETAILS.exec(rest);
  if (details?.[1] !== undefined) {
    entry.details = details[1];
    if (lean) return entry;
    // After details: termination details, "transport failure", bytes in/out, duration, upstream time,
    // "xff", "ua", "request id", "authority", "upstream host", upstream cluster.
    const after = fields(rest.slice(details[0].length));
    if (after[9] !== undefined && after[9] !== '-') entry.authority = after[9];
    if (after[11] !== undefined && after[11] !== '-') entry.upstreamCluster = after[11];
    return entry;
  }
  const quoted = /^"([^"]*)"(?: "([^"]*)")?(?: |$)/.exec(rest);
  let afterFlags = rest;
  if (quoted?.[2] !== undefined) {
    entry.format = 'text-mixer';
    entry.mixerStatus = quoted[1] ?? '-';
    afterFlags = rest.slice(quoted[1]!.length + 3);
  } else {
    entry.format = 'text-no-details';
  }
  // 1.0: `bytes_in bytes_out …`; 1.1–1.8 may put "transport failure" first.
  const sizes = /^(?:"[^"]*" )?(\d+) (\d+) /.exec(afterFlags);
  if (sizes?.[2] !== undefined) entry.bytesSent = Number(sizes[2]);
  return entry;
}

// ---------------------------------------------------------------- classification

export interface DenialClass {
  source: DenialGroup['source'];
  reason: string;
}

const JWT_DENIED = /^jwt_authn_access_denied(?:\{(.*)\})?$/;
const RBAC_DENIED = /^rbac_access_denied(?:_matched_policy\[(.*)\])?$/;
const RBAC_POLICY_ID = /^ns\[(.*)\]-policy\[(.*)\]-rule\[(\d+)\]$/;

/** Who refused a 401/403 and why, in words; from the details string as Envoy prints it (§4.2, §4.3). */
export function classifyDenial(entry: AccessLogEntry): DenialClass {
  const details = entry.details;
  if (details === undefined || details === '-') {
    if (entry.flags.split(',').includes('UAEX')) return { source: 'ext_authz', reason: 'denied by the external authorizer (CUSTOM AuthorizationPolicy)' };
    if (entry.mixerStatus && entry.mixerStatus !== '-') return { source: 'other', reason: `${entry.code} with mixer status ${entry.mixerStatus}` };
    const inferred = entry.bytesSent === undefined ? undefined : inferRefusalFromBodySize(entry.code, entry.bytesSent);
    if (inferred) return inferred;
    return {
      source: 'other',
      reason: `no response details (log format of Istio 1.8 or older): Istio's JWT or authorization filter, or the application`,
    };
  }
  const jwt = JWT_DENIED.exec(details);
  if (jwt) {
    const status = jwt[1];
    return { source: 'jwt', reason: status ? status.replace(/_/g, ' ') : 'JWT rejected (this Envoy does not say why)' };
  }
  const rbac = RBAC_DENIED.exec(details);
  if (rbac) {
    const id = rbac[1];
    if (id === undefined) return { source: 'rbac', reason: 'RBAC: access denied (this Envoy does not name the policy)' };
    if (id === 'none') return { source: 'rbac', reason: 'RBAC: access denied — no ALLOW policy matched' };
    const parts = RBAC_POLICY_ID.exec(id);
    if (parts) return { source: 'rbac', reason: `RBAC: access denied — DENY policy ${parts[1]}/${parts[2]} rule ${parts[3]} matched` };
    return { source: 'rbac', reason: `RBAC: access denied — policy ${id} matched` };
  }
  if (details.startsWith('ext_authz_denied') || entry.flags.split(',').includes('UAEX')) {
    return { source: 'ext_authz', reason: 'denied by the external authorizer (CUSTOM AuthorizationPolicy)' };
  }
  if (details.startsWith('ext_authz_error')) return { source: 'ext_authz', reason: 'the external authorizer could not be reached or failed' };
  if (details === 'via_upstream') return { source: 'upstream', reason: `the application itself answered ${entry.code}` };
  return { source: 'other', reason: details };
}

const isDenial = (code: number): boolean => code === 401 || code === 403;

/** Envoy prints %START_TIME% in UTC (`…Z`), so the minute is its first 16 characters; other spellings are parsed. */
const UTC_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?Z$/;

/**
 * `:SS[.fff]Z` in `t` from `from` to `end` (exclusive): the rest of a UTC START_TIME whose first 16 characters name
 * the minute. Read in place, so the hot path needs no substring.
 */
function isUtcSecondsTail(t: string, from: number, end: number): boolean {
  if (t.charCodeAt(from) !== 58 || !isDigit(t.charCodeAt(from + 1)) || !isDigit(t.charCodeAt(from + 2))) return false;
  const length = end - from;
  if (length === 4) return t.charCodeAt(from + 3) === 90; // Z
  if (t.charCodeAt(from + 3) !== 46 || t.charCodeAt(end - 1) !== 90 || length < 6) return false; // . … Z
  for (let i = from + 4; i < end - 1; i += 1) if (!isDigit(t.charCodeAt(i))) return false;
  return true;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * `[START_TIME] "REQUEST" CODE FLAGS …` read with indexOf, for lines that are not refusals: exactly what
 * TEXT_HEAD accepts, or undefined (the caller then takes the full path). Refusals always take the full path.
 */
export function ordinaryTextHead(line: string): { startTime: string; code: number } | undefined {
  const code = ordinaryCode(line);
  return code < 0 ? undefined : { startTime: line.slice(1, line.indexOf(']')), code };
}

/** Where the last line ordinaryCode accepted closes its START_TIME (`]`): read by countOrdinary right after. */
let ordinaryClose = 0;

/** ordinaryTextHead's status code without building anything (-1: not an ordinary TEXT line); the hot path. */
function ordinaryCode(line: string): number {
  if (line.charCodeAt(0) !== 91) return -1; // [
  const close = line.indexOf(']');
  ordinaryClose = close;
  if (close < 2 || line.charCodeAt(close + 1) !== 32 || line.charCodeAt(close + 2) !== 34) return -1;
  for (let i = 1; i < close; i += 1) if (isSpaceCode(line.charCodeAt(i))) return -1;
  const requestEnd = line.indexOf('"', close + 3);
  if (requestEnd < 0 || line.charCodeAt(requestEnd + 1) !== 32) return -1;
  let at = requestEnd + 2;
  const c0 = line.charCodeAt(at);
  let code: number;
  if (isDigit(c0) && isDigit(line.charCodeAt(at + 1)) && isDigit(line.charCodeAt(at + 2)) && line.charCodeAt(at + 3) === 32) {
    code = (c0 - 48) * 100 + (line.charCodeAt(at + 1) - 48) * 10 + (line.charCodeAt(at + 2) - 48);
    at += 4;
  } else if (c0 === 48 && line.charCodeAt(at + 1) === 32) {
    code = 0;
    at += 2;
  } else {
    return -1;
  }
  if (isDenial(code)) return -1;
  // FLAGS: one or more non-space characters, then a space or the end of the line.
  let end = at;
  while (end < line.length && !isSpaceCode(line.charCodeAt(end))) end += 1;
  if (end === at || (end < line.length && line.charCodeAt(end) !== 32)) return -1;
  return code;
}

/** What the regex class \s matches, by UTF-16 code unit (ECMAScript WhiteSpace and LineTerminator). */
function isSpaceCode(c: number): boolean {
  if (c > 32 && c < 160) return false;
  return (
    c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 5760 || (c >= 8192 && c <= 8202) ||
    c === 8232 || c === 8233 || c === 8239 || c === 8287 || c === 12288 || c === 65279
  );
}

function minuteOf(startTime: string): string | undefined {
  if (UTC_START.test(startTime)) return startTime.slice(0, 16);
  const ms = Date.parse(startTime);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().slice(0, 16);
}

/** Distinct refusal shapes remembered; past this, classification simply runs again (memory stays bounded). */
const MAX_CLASSES_CACHED = 1000;

/** `a` is at or after `b`: ISO UTC times of one shape compare as text, others are parsed. */
function isLaterOrSame(a: string, b: string): boolean {
  if (a.length === b.length && a.endsWith('Z') && b.endsWith('Z')) return a >= b;
  return timeOf(a) >= timeOf(b);
}

function timeOf(t: string): number {
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? -Infinity : ms;
}

// ---------------------------------------------------------------- streaming summary

export class AccessLogParser {
  private lines = 0;
  private accessLines = 0;
  private readonly byCode = new Map<number, number>();
  private readonly groups = new Map<string, DenialGroup>();
  private readonly minutes = new Map<string, MinuteCount>();
  private lastMinute: MinuteCount | undefined;
  /** Each distinct refusal shape is classified once (a log holds few of them, many times each). */
  private readonly classes = new Map<string, DenialClass & { kind: string }>();

  /** `countMinutes: false` skips the refusal timeline's per-minute counts (the bench's baseline for its cost). */
  constructor(private readonly options: { countMinutes?: boolean } = {}) {}

  /** Adds one line; true when it was an access-log line (the proxy-log scanner needs to know). */
  push(line: string): boolean {
    // Most lines are ordinary answers in the default TEXT format: their code and time are all the summary
    // needs, read without a regex (the full path below gives the same summary: see the property test).
    const code = ordinaryCode(line);
    if (code >= 0) {
      this.countOrdinary(line, code);
      return true;
    }
    const entry = parseAccessLogLine(line, { refusalsOnly: true });
    this.pushParsed(line, entry);
    return entry !== undefined;
  }

  /** countAnswer for a line ordinaryCode accepted: its START_TIME is read in place, sliced only on a new minute. */
  private countOrdinary(line: string, code: number): void {
    if (this.options.countMinutes === false) return this.tally(code, undefined);
    const last = this.lastMinute;
    const close = ordinaryClose;
    // Same minute as the line before, and still a UTC time (`:SS[.fff]Z`): no parse, no substring.
    const sameMinute = last !== undefined && line.startsWith(last.minute, 1) && isUtcSecondsTail(line, 17, close);
    this.tally(code, sameMinute ? last : this.minuteCount(line.slice(1, close)));
  }

  private countAnswer(startTime: string, code: number): void {
    this.tally(code, this.options.countMinutes === false ? undefined : this.minuteCount(startTime));
  }

  /** One access-log answer: the counts every line adds to, and its minute's request count. */
  private tally(code: number, minute: MinuteCount | undefined): void {
    this.lines += 1;
    this.accessLines += 1;
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    if (minute) minute.requests += 1;
  }

  /** For callers that already parsed the line (one pass over a proxy log). */
  pushParsed(line: string, entry: AccessLogEntry | undefined): void {
    if (!entry && line.trim() === '') return;
    if (!entry) {
      this.lines += 1;
      return;
    }
    this.countAnswer(entry.startTime, entry.code);
    if (!isDenial(entry.code)) return;
    const minute = this.options.countMinutes === false ? undefined : this.lastMinute;

    const { source, reason, kind } = this.classify(entry);
    if (minute) minute.refusals[kind] = (minute.refusals[kind] ?? 0) + 1;
    const key = `${entry.code}\u0000${source}\u0000${reason}`;
    let group = this.groups.get(key);
    if (!group) {
      group = { code: entry.code, reason, details: entry.details ?? '-', source, count: 0, samples: [] };
      this.groups.set(key, group);
    }
    group.count += 1;
    if (group.lastSeen === undefined || isLaterOrSame(entry.startTime, group.lastSeen)) group.lastSeen = entry.startTime;
    if (group.samples.length < SAMPLES_PER_GROUP) group.samples.push(redactLine(line.trim()).slice(0, SAMPLE_MAX_CHARS));
  }

  summary(): AccessLogSummary {
    const denials = [...this.groups.values()]
      .map((g) => ({ ...g, samples: [...g.samples] }))
      .sort((a, b) => b.count - a.count || a.code - b.code);
    const minutes = [...this.minutes.values()]
      .map((m) => ({ ...m, refusals: { ...m.refusals } }))
      .sort((a, b) => (a.minute < b.minute ? -1 : a.minute > b.minute ? 1 : 0));
    const byCode = Object.fromEntries([...this.byCode].map(([code, n]) => [String(code), n]));
    return { lines: this.lines, accessLines: this.accessLines, byCode, denials, minutes };
  }

  /** The refusal's class, and its timeline kind (`401 Jwt is expired`), built once per distinct shape. */
  private classify(entry: AccessLogEntry): DenialClass & { kind: string } {
    const key = `${entry.code}\u0000${entry.details ?? ''}\u0000${entry.flags}\u0000${entry.mixerStatus ?? ''}\u0000${entry.bytesSent ?? ''}`;
    let found = this.classes.get(key);
    if (!found) {
      const denial = classifyDenial(entry);
      found = { ...denial, kind: `${entry.code} ${denial.reason}` };
      if (this.classes.size < MAX_CLASSES_CACHED) this.classes.set(key, found);
    }
    return found;
  }

  /** The counter of the UTC minute a line's %START_TIME% falls in; undefined when the time does not parse. */
  private minuteCount(startTime: string): MinuteCount | undefined {
    // Lines come in time order: most fall in the same minute as the one before (no parse, no map lookup).
    const last = this.lastMinute;
    if (last && startTime.startsWith(last.minute) && isUtcSecondsTail(startTime, 16, startTime.length)) return last;
    const minute = minuteOf(startTime);
    if (minute === undefined) return (this.lastMinute = undefined);
    let count = this.minutes.get(minute);
    if (!count) {
      count = { minute, requests: 0, refusals: {} };
      this.minutes.set(minute, count);
    }
    return (this.lastMinute = count);
  }
}

export function summariseAccessLog(text: string): AccessLogSummary {
  const parser = new AccessLogParser();
  for (const line of text.split('\n')) parser.push(line);
  return parser.summary();
}
