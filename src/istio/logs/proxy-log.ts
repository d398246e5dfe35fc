/**
 * Signs in an istio-proxy log that the proxy does, or does not, hold usable keys: the legacy
 * `Loaded JwtAuthConfig` dump (Istio 1.0–1.2, ISTIO-JWT.md §1.4), listener NACKs for an invalid inline
 * JWKS (§4.2), Envoy's own remote fetch failures (§3.3) and istiod's placeholder keys (§3.2).
 * Access lines are skipped here: a spaced-era detail such as `{Jwks remote fetch is failed}` is a
 * response, not a config event.
 */
import type { AccessLogSummary, ProxyJwtConfigSigns } from '../../model/index.js';
import { placeholderMarkersIn } from '../jwks-summary.js';
import { redactLine } from '../../lib/redact.js';
import { AccessLogParser, parseAccessLogLine } from './access-log.js';
import { linesOf } from './log-prefix.js';

/** At most this many lines per list: the check needs the fact and an example, not the whole log. */
export const MAX_SIGNS_PER_KIND = 10;
/** Longest line kept, in characters (a JwtAuthConfig dump inlines whole key sets). */
export const SIGN_MAX_CHARS = 400;

const LOADED_CONFIG = /Loaded JwtAuthConfig:/;
const RULE_START = /(?:rules|providers)\s*\{/g;
const ISSUER = /issuer:\s*"((?:[^"\\]|\\.)*)"/;
const INLINE_JWKS = /local_jwks\s*\{\s*inline_string:\s*"((?:[^"\\]|\\.)*)"/;
const LISTENER_REJECTED = /(?:Listener rejected|rejected: Error adding\/updating listener)/;
const JWKS_CONFIG_ERROR = /(?:has invalid local jwks|Invalid inline jwks for issuer|jwt_authn[^\n]*(?:invalid|rejected))/i;
const REMOTE_FETCH_FAILED = /(?:fetch pubkey \[uri = [^\]]*\][^\n]*failed|Jwks remote fetch is failed)/;

const short = (line: string): string => {
  const clean = redactLine(line.trim());
  return clean.length > SIGN_MAX_CHARS ? `${clean.slice(0, SIGN_MAX_CHARS - 1)}…` : clean;
};

/** Undoes protobuf text-format escaping of an inline_string (`\"` → `"`, `\\` → `\`, `\n`). */
function unescapeProtoString(s: string): string {
  return s.replace(/\\(["'\\nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

function jwksHasKeys(inline: string): boolean {
  try {
    const doc: unknown = JSON.parse(unescapeProtoString(inline));
    if (typeof doc !== 'object' || doc === null) return false;
    const keys = (doc as Record<string, unknown>)['keys'];
    return Array.isArray(keys) && keys.length > 0;
  } catch {
    return false;
  }
}

export class ProxyConfigScanner {
  private readonly signs: ProxyJwtConfigSigns = {
    loadedConfigs: [],
    listenerRejections: [],
    remoteFetchFailures: [],
    placeholderKeys: [],
  };

  /** Feeds one non-access line. */
  push(line: string): void {
    if (LOADED_CONFIG.test(line)) this.loaded(line);
    if ((LISTENER_REJECTED.test(line) && /jwks|jwt/i.test(line)) || JWKS_CONFIG_ERROR.test(line)) {
      this.add(this.signs.listenerRejections, short(line));
    }
    if (REMOTE_FETCH_FAILED.test(line)) this.add(this.signs.remoteFetchFailures, short(line));
    for (const marker of placeholderMarkersIn(line)) this.add(this.signs.placeholderKeys, marker);
  }

  result(): ProxyJwtConfigSigns {
    return {
      loadedConfigs: this.signs.loadedConfigs.map((c) => ({ ...c })),
      listenerRejections: [...this.signs.listenerRejections],
      remoteFetchFailures: [...this.signs.remoteFetchFailures],
      placeholderKeys: [...this.signs.placeholderKeys],
    };
  }

  private loaded(line: string): void {
    const starts = [...line.matchAll(RULE_START)].map((m) => m.index ?? 0);
    const segments = starts.length > 0 ? starts.map((s, i) => line.slice(s, starts[i + 1])) : [line];
    for (const segment of segments) {
      if (this.signs.loadedConfigs.length >= MAX_SIGNS_PER_KIND) return;
      const issuer = ISSUER.exec(segment)?.[1];
      const inline = INLINE_JWKS.exec(segment)?.[1];
      const config: ProxyJwtConfigSigns['loadedConfigs'][number] = {
        hasLocalJwks: inline !== undefined && inline !== '' && jwksHasKeys(inline),
        line: short(line),
      };
      if (issuer !== undefined) config.issuer = unescapeProtoString(issuer);
      this.signs.loadedConfigs.push(config);
    }
  }

  private add(list: string[], value: string): void {
    if (list.length < MAX_SIGNS_PER_KIND && !list.includes(value)) list.push(value);
  }
}

export function scanProxyLog(text: string): ProxyJwtConfigSigns {
  const scanner = new ProxyConfigScanner();
  for (const line of linesOf(text)) {
    if (line.trim() === '' || parseAccessLogLine(line, { refusalsOnly: true })) continue;
    scanner.push(line);
  }
  return scanner.result();
}

/** Access-log summary and config signs from one pass over an istio-proxy log. */
export function summariseProxyLog(text: string): { access: AccessLogSummary; jwtConfig: ProxyJwtConfigSigns } {
  const access = new AccessLogParser();
  const scanner = new ProxyConfigScanner();
  for (const line of linesOf(text)) {
    if (line.trim() === '') continue;
    const entry = parseAccessLogLine(line, { refusalsOnly: true });
    access.pushParsed(line, entry);
    if (!entry) scanner.push(line);
  }
  return { access: access.summary(), jwtConfig: scanner.result() };
}
