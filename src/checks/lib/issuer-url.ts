/**
 * Classifies an issuer string the way istiod's key resolver needs it: only an http(s) URL can be turned
 * into `<issuer>/.well-known/openid-configuration` (ISTIO-JWT §3.1).
 */

export type IssuerKind = 'https' | 'http' | 'email' | 'not-url';

export interface IssuerClass {
  kind: IssuerKind;
  /** Why it is not usable for discovery (for 'email' and 'not-url'). */
  reason?: string;
}

const GOOGLE_SA_SUFFIXES = ['.iam.gserviceaccount.com', '@developer.gserviceaccount.com', '@appspot.gserviceaccount.com'];

export function isGoogleServiceAccount(issuer: string): boolean {
  return GOOGLE_SA_SUFFIXES.some((s) => issuer.endsWith(s));
}

/** The JWKS URL Google publishes for a service account's keys. */
export function googleServiceAccountJwksUri(email: string): string {
  return `https://www.googleapis.com/service_accounts/v1/jwk/${email}`;
}

export function classifyIssuer(issuer: string): IssuerClass {
  const trimmed = issuer.trim();
  if (/^[^\s/:@]+@[^\s/@]+$/.test(trimmed)) {
    return { kind: 'email', reason: 'it is an e-mail address' };
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return { kind: 'not-url', reason: 'it is not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return { kind: 'not-url', reason: `its scheme is ${url.protocol.replace(/:$/, '')}, not https` };
  }
  if (!url.hostname) return { kind: 'not-url', reason: 'it has no host' };
  if (url.search || url.hash || trimmed.includes('?') || trimmed.includes('#')) {
    return { kind: 'not-url', reason: 'it has a query or fragment, so the discovery path cannot be appended' };
  }
  if (trimmed !== issuer) return { kind: 'not-url', reason: 'it has leading or trailing spaces' };
  return { kind: url.protocol === 'https:' ? 'https' : 'http' };
}
