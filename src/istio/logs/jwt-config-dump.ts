/**
 * Reads the proxy's `Loaded JwtAuthConfig: …` dump, which spans several log lines: the timestamped line ends
 * with the start of the config and untimestamped, indented lines follow until the next timestamped line.
 * Two shapes exist, both handled by the same field search:
 * - protobuf text (`rules {`, `issuer: "…"`, `local_jwks {`, `inline_string: "…"`), as the Istio 1.0 troubleshooting
 *   page prints it (istio/proxy before commit 5317cae, 2018-06: `config_.DebugString()` in
 *   src/envoy/http/jwt_auth/auth_store.h), and Envoy's jwt_authn dumps (`providers { key: "origins-0" value { … } }`);
 * - pretty JSON (`"rules": [`, `"issuer": "…"`, `"local_jwks": {`, `"inline_string": "…"`), what istio/proxy
 *   1.0.0–1.2.x actually print (auth_store.h at tags 1.0.6, 1.2.10: `MessageUtil::getJsonStringFromMessage(config_, true)`,
 *   debug level).
 * Pilot 1.0–1.2 puts the key set in `local_jwks.inline_string`, and an EMPTY string when its fetch failed
 * (istio/istio 1.0.6 pilot/pkg/networking/plugin/authn/authentication.go: "Put empty string in config even if above
 * ResolveJwtPubKey fails"). A block cut by the log read (tail or byte limit) yields nothing for the cut rule.
 */
import type { LoadedJwtConfig } from '../../model/index.js';

export const LOADED_CONFIG_MARKER = 'Loaded JwtAuthConfig:';

const ISSUER_FIELD = /(?:^|[\s{,])"?issuer"?\s*:\s*"((?:[^"\\]|\\.)*)"/g;
const INLINE_FIELD = /"?inline_string"?\s*:\s*"((?:[^"\\]|\\.)*)"/;
const LOCAL_JWKS = /"?local_jwks"?\s*[:{]/;
const REMOTE_JWKS = /"?remote_jwks"?\s*[:{]/;

/** A line that starts a new log entry: Envoy `[2018-…`, an RFC 3339 time (istio-proxy 1.x, pilot-agent), a JSON line. */
const NEW_ENTRY = /^\s*(?:\[\d|\d{4}-\d\d-\d\dT|\{")/;
/** `kubectl logs --timestamps` prefixes EVERY line, continuation lines too. */
const KUBECTL_PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) /;

/** Whether a line, read while a dump is open, continues it (else a new log entry starts). */
export function continuesDump(line: string): boolean {
  const prefixed = KUBECTL_PREFIX.exec(line);
  const rest = prefixed ? line.slice(prefixed[0].length) : line;
  return !NEW_ENTRY.test(rest);
}

/** The continuation text of a line (without a kubectl timestamp). */
export function dumpText(line: string): string {
  const prefixed = KUBECTL_PREFIX.exec(line);
  return prefixed ? line.slice(prefixed[0].length) : line;
}

/** Undoes protobuf text / JSON string escaping of an inline_string (`\"` → `"`, `\\` → `\`, `\n`). */
export function unescapeDumpString(s: string): string {
  return s.replace(/\\(["'\\/nrt])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

/** Braces and brackets balance outside string literals, and no string literal is left open. */
function balanced(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return !inString && depth === 0;
}

function keySetOf(inline: string): Pick<LoadedJwtConfig, 'keySet' | 'kids'> {
  if (inline === '') return { keySet: 'empty-inline' };
  try {
    const doc: unknown = JSON.parse(unescapeDumpString(inline));
    const keys = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['keys'] : undefined;
    if (!Array.isArray(keys)) return { keySet: 'invalid' };
    if (keys.length === 0) return { keySet: 'no-keys' };
    const kids = keys.flatMap((k) => {
      const kid = typeof k === 'object' && k !== null ? (k as Record<string, unknown>)['kid'] : undefined;
      return typeof kid === 'string' ? [kid] : [];
    });
    return { keySet: 'keys', kids };
  } catch {
    return { keySet: 'invalid' };
  }
}

/**
 * One entry per issuer the dump names (in order), or none for a rule the read cut off. `line` is the (already
 * shortened) timestamped line that opened the dump.
 */
export function parseJwtConfigDump(text: string, line: string): LoadedJwtConfig[] {
  const at = text.indexOf(LOADED_CONFIG_MARKER);
  const body = at >= 0 ? text.slice(at + LOADED_CONFIG_MARKER.length) : text;
  const starts = [...body.matchAll(ISSUER_FIELD)];
  const whole = balanced(body);
  const out: LoadedJwtConfig[] = [];
  starts.forEach((m, i) => {
    const next = starts[i + 1];
    // The last rule is whole only if the dump is; an earlier one ends where the next begins.
    if (!next && !whole) return;
    const segment = body.slice(m.index, next?.index);
    const inline = INLINE_FIELD.exec(segment)?.[1];
    let found: Pick<LoadedJwtConfig, 'keySet' | 'kids'>;
    if (inline !== undefined) found = keySetOf(inline);
    else if (REMOTE_JWKS.test(segment)) found = { keySet: 'remote' };
    else if (LOCAL_JWKS.test(segment)) return; // local_jwks from a file or cut oddly: nothing to say
    else found = { keySet: 'absent' };
    const entry: LoadedJwtConfig = { issuer: unescapeDumpString(m[1] ?? ''), hasLocalJwks: found.keySet === 'keys', line, keySet: found.keySet };
    if (found.kids) entry.kids = found.kids;
    out.push(entry);
  });
  return out;
}
