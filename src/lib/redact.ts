/**
 * Masks credentials inside one log line before it is kept as a sample or shown to anyone.
 * Access logs do not carry tokens by default, but custom formats (%REQ(AUTHORIZATION)%, full paths
 * with ?access_token=) do, and debug lines print headers: assume any line may hold one.
 */
import { maskJwts } from './jwt-shape.js';

const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)(?!\[)[^\s"',;]+/gi;
const TOKEN_PARAM = /\b(access_token|id_token|refresh_token)=[^&\s"'#;]+/gi;
const BEARER = /(Bearer\s+)[^\s"']+/gi;
const SLACK_TOKEN = /xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+/g;

export const REDACTED = '[redacted]';

export function redactLine(line: string): string {
  return maskJwts(line.replace(AUTH_SCHEME, `$1$2${REDACTED}`).replace(TOKEN_PARAM, `$1=${REDACTED}`));
}

/**
 * Masks anything token-like inside free text (error messages, log messages). Here, not in the logger, so
 * the command line can mask its one-sentence errors without loading pino.
 */
export function maskSecrets(text: string): string {
  return maskJwts(text).replace(BEARER, '$1[redacted]').replace(SLACK_TOKEN, '[slack token redacted]');
}
