/**
 * Explains why a token's iss is not one of the configured issuers. Istio (Envoy jwt_authn) compares
 * iss and the rule's issuer byte for byte, so the usual culprits are small: a trailing slash, http vs
 * https, the internal vs external hostname, Keycloak's `/auth` prefix (dropped in Keycloak 17+).
 * Source: ISTIO-JWT §7 item 1 (istio/istio #25578, #40718; keycloak/keycloak #17299).
 */

export interface IssuerNearMiss {
  configured: string;
  /** Human reasons, e.g. "trailing slash: the token has one, the rule has none". */
  differences: string[];
}

interface UrlParts {
  scheme: string;
  host: string;
  path: string;
}

function parts(value: string): UrlParts | undefined {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)/.exec(value);
  if (!m) return undefined;
  return { scheme: (m[1] ?? '').toLowerCase(), host: m[2] ?? '', path: m[3] ?? '' };
}

const stripSlash = (p: string): string => (p.endsWith('/') ? p.slice(0, -1) : p);
const stripAuth = (p: string): string => (p.startsWith('/auth/') || p === '/auth' ? p.slice(5) : p);

/** The differences between the token's iss and one configured issuer, or [] when they are unrelated. */
export function issuerDifferences(tokenIss: string, configured: string): string[] {
  if (tokenIss === configured) return [];
  const t = parts(tokenIss);
  const c = parts(configured);
  if (!t || !c) {
    if (stripSlash(tokenIss) === stripSlash(configured)) return [slashReason(tokenIss)];
    if (tokenIss.toLowerCase() === configured.toLowerCase()) return ['they differ only in letter case'];
    return [];
  }
  // Unrelated paths are not a near miss (another realm or tenant is a different issuer, not a typo).
  if (stripAuth(stripSlash(t.path)) !== stripAuth(stripSlash(c.path))) return [];
  const diffs: string[] = [];
  if (t.scheme !== c.scheme) {
    diffs.push(`${t.scheme} vs ${c.scheme}: the token says ${t.scheme}://, the rule ${c.scheme}://`);
  }
  if (t.host.toLowerCase() !== c.host.toLowerCase()) {
    diffs.push(
      `different host, same path: the token was issued by ${t.host}, the rule expects ${c.host} ` +
        '(internal vs external hostname: the IdP writes the host it was called on into iss)',
    );
  } else if (t.host !== c.host) {
    diffs.push('the host differs only in letter case');
  }
  const tAuth = t.path === '/auth' || t.path.startsWith('/auth/');
  const cAuth = c.path === '/auth' || c.path.startsWith('/auth/');
  if (tAuth !== cAuth) {
    diffs.push(
      tAuth
        ? 'Keycloak /auth prefix: the token has it (Keycloak 16 or older, or --http-relative-path=/auth), the rule does not'
        : 'Keycloak /auth prefix: the rule has it, the token does not (Keycloak 17+ dropped /auth)',
    );
  }
  if (t.path.endsWith('/') !== c.path.endsWith('/')) diffs.push(slashReason(tokenIss));
  return diffs;
}

function slashReason(tokenIss: string): string {
  return tokenIss.endsWith('/')
    ? 'trailing slash: the token iss ends with "/", the rule issuer does not'
    : 'trailing slash: the rule issuer ends with "/", the token iss does not';
}

/** The configured issuer closest to the token's iss, with the reasons; undefined when none is close. */
export function closestIssuer(tokenIss: string, configured: readonly string[]): IssuerNearMiss | undefined {
  let best: IssuerNearMiss | undefined;
  for (const c of configured) {
    const differences = issuerDifferences(tokenIss, c);
    if (differences.length === 0) continue;
    if (!best || differences.length < best.differences.length) best = { configured: c, differences };
  }
  return best;
}
