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
import { LOADED_CONFIG_MARKER, continuesDump, dumpText, parseJwtConfigDump } from './jwt-config-dump.js';
import { linesOf } from './log-prefix.js';

/** At most this many lines per list: the check needs the fact and an example, not the whole log. */
export const MAX_SIGNS_PER_KIND = 10;
/** Longest line kept, in characters (a JwtAuthConfig dump inlines whole key sets). */
export const SIGN_MAX_CHARS = 400;

const LISTENER_REJECTED = /(?:Listener rejected|rejected: Error adding\/updating listener)/;
const JWKS_CONFIG_ERROR = /(?:has invalid local jwks|Invalid inline jwks for issuer|jwt_authn[^\n]*(?:invalid|rejected))/i;
const REMOTE_FETCH_FAILED = /(?:fetch pubkey \[uri = [^\]]*\][^\n]*failed|Jwks remote fetch is failed)/;

const short = (line: string): string => {
  const clean = redactLine(line.trim());
  return clean.length > SIGN_MAX_CHARS ? `${clean.slice(0, SIGN_MAX_CHARS - 1)}…` : clean;
};

export class ProxyConfigScanner {
  private readonly signs: ProxyJwtConfigSigns = {
    loadedConfigs: [],
    listenerRejections: [],
    remoteFetchFailures: [],
    placeholderKeys: [],
  };

  /** The `Loaded JwtAuthConfig` dump being read: its lines so far and its (shortened) first line. */
  private dump: { text: string[]; line: string } | undefined;

  /** Feeds one non-access line. */
  push(line: string): void {
    if (this.dump && continuesDump(line)) {
      this.dump.text.push(dumpText(line));
      for (const marker of placeholderMarkersIn(line)) this.add(this.signs.placeholderKeys, marker);
      return;
    }
    this.closeDump();
    if (line.includes(LOADED_CONFIG_MARKER)) this.dump = { text: [line], line: short(line) };
    if ((LISTENER_REJECTED.test(line) && /jwks|jwt/i.test(line)) || JWKS_CONFIG_ERROR.test(line)) {
      this.add(this.signs.listenerRejections, short(line));
    }
    if (REMOTE_FETCH_FAILED.test(line)) this.add(this.signs.remoteFetchFailures, short(line));
    for (const marker of placeholderMarkersIn(line)) this.add(this.signs.placeholderKeys, marker);
  }

  /** An access line (not fed here) is a new log entry: it ends an open dump. */
  endEntry(): void {
    this.closeDump();
  }

  /** The signs so far; a dump still open (the read ended inside it) counts only for its complete rules. */
  result(): ProxyJwtConfigSigns {
    this.closeDump();
    return {
      loadedConfigs: this.signs.loadedConfigs.map((c) => ({ ...c, ...(c.kids ? { kids: [...c.kids] } : {}) })),
      listenerRejections: [...this.signs.listenerRejections],
      remoteFetchFailures: [...this.signs.remoteFetchFailures],
      placeholderKeys: [...this.signs.placeholderKeys],
    };
  }

  private closeDump(): void {
    if (!this.dump) return;
    for (const config of parseJwtConfigDump(this.dump.text.join('\n'), this.dump.line)) {
      if (this.signs.loadedConfigs.length < MAX_SIGNS_PER_KIND) this.signs.loadedConfigs.push(config);
    }
    this.dump = undefined;
  }

  private add(list: string[], value: string): void {
    if (list.length < MAX_SIGNS_PER_KIND && !list.includes(value)) list.push(value);
  }
}

export function scanProxyLog(text: string): ProxyJwtConfigSigns {
  const scanner = new ProxyConfigScanner();
  for (const line of linesOf(text)) {
    if (line.trim() === '') continue;
    if (parseAccessLogLine(line, { refusalsOnly: true })) scanner.endEntry();
    else scanner.push(line);
  }
  return scanner.result();
}

/** Access-log summary and config signs from one pass over an istio-proxy log. */
export function summariseProxyLog(text: string): { access: AccessLogSummary; jwtConfig: ProxyJwtConfigSigns } {
  const access = new AccessLogParser();
  const scanner = new ProxyConfigScanner();
  for (const line of linesOf(text)) {
    if (line.trim() === '') continue;
    if (access.push(line)) scanner.endEntry();
    else scanner.push(line);
  }
  return { access: access.summary(), jwtConfig: scanner.result() };
}
