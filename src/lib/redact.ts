/**
 * Masks credentials inside one log line before it is kept as a sample or shown to anyone.
 * Access logs do not carry tokens by default, but custom formats (%REQ(AUTHORIZATION)%, full paths
 * with ?access_token=) do, and debug lines print headers: assume any line may hold one.
 */

/** A JWT or JWE, or a fragment of one: base64url JSON always starts with `eyJ` (`{"`). */
const JWT_SHAPED = /eyJ[A-Za-z0-9_-]{6,}(?:\.[A-Za-z0-9_-]*){0,4}/g;
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)(?!\[)[^\s"',;]+/gi;
const TOKEN_PARAM = /\b(access_token|id_token|refresh_token)=[^&\s"'#;]+/gi;

export const REDACTED = '[redacted]';

export function redactLine(line: string): string {
  return line
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(TOKEN_PARAM, `$1=${REDACTED}`)
    .replace(JWT_SHAPED, '[jwt redacted]');
}
