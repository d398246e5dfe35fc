/**
 * Envoy's audience comparison (google/jwt_verify_lib src/check_audience.cc): both sides lose a leading
 * "http://" or "https://" and ONE trailing "/", then compare exactly; an empty configured list allows all.
 */

export function normaliseAudience(aud: string): string {
  let a = aud;
  if (a.startsWith('https://')) a = a.slice('https://'.length);
  else if (a.startsWith('http://')) a = a.slice('http://'.length);
  if (a.endsWith('/')) a = a.slice(0, -1);
  return a;
}

/** The token's aud as a list, or undefined when it is neither a string nor a list of strings. */
export function tokenAudiences(aud: unknown): string[] | undefined {
  if (aud === undefined) return [];
  if (typeof aud === 'string') return [aud];
  if (Array.isArray(aud) && aud.every((a) => typeof a === 'string')) return aud as string[];
  return undefined;
}

/** The configured audiences one of the token's audiences matches, after normalising both. */
export function matchingAudiences(tokenAud: readonly string[], configured: readonly string[]): string[] {
  const wanted = new Set(configured.map(normaliseAudience));
  return tokenAud.filter((a) => wanted.has(normaliseAudience(a)));
}
