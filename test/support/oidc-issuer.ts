/**
 * An OIDC issuer on 127.0.0.1 with real keys made by jose, shaped like Keycloak (discovery under the
 * realm path, JWKS at /protocol/openid-connect/certs). Modes reproduce the issuer-side failures that
 * break Istio JWT authentication: missing realm, HTML login page, issuer with a trailing slash,
 * no jwks_uri, JWKS 404 or malformed, and a slow issuer (istiod's fetch timeout).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';

export type IssuerMode =
  | 'ok'
  | 'discovery-404'
  | 'discovery-html'
  | 'wrong-issuer'
  | 'no-jwks-uri'
  | 'jwks-404'
  | 'jwks-malformed'
  /** The JWKS lists its key without a kid (jwt_verify_lib then tries it for any token kid). */
  | 'jwks-without-kid'
  | 'slow';

export type SigningAlg = 'RS256' | 'ES256';

export interface SignOptions {
  /** null = no kid header; default the current key's kid. */
  kid?: string | null;
  alg?: SigningAlg;
  /** 'foreign' = a key NOT in the JWKS with the SAME kid as the current one (signature then fails). */
  key?: 'current' | 'foreign';
  /** Merged last into the protected header (after alg/typ/kid). */
  header?: Record<string, unknown>;
}

export interface TestIssuer {
  issuer: string;
  discoveryUrl: string;
  jwksUri: string;
  jwks(): { keys: Record<string, unknown>[] };
  sign(claims: Record<string, unknown>, options?: SignOptions): Promise<string>;
  rotate(): Promise<void>;
  setMode(mode: IssuerMode, options?: { slowMs?: number }): void;
  requests: { path: string; at: number }[];
  close(): Promise<void>;
}

const DEFAULT_SLOW_MS = 10_000;
const TOKEN_LIFETIME_S = 3600;

interface KeyPair {
  kid: string;
  alg: SigningAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

async function makeKey(alg: SigningAlg, kid?: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  const jwk = await exportJWK(publicKey);
  // Keycloak kids are 43-char base64url strings; anything unique will do.
  const id = kid ?? randomBytes(32).toString('base64url').slice(0, 43);
  return { kid: id, alg, privateKey, publicJwk: { kid: id, ...jwk, alg, use: 'sig' } };
}

function normalisePath(path: string | undefined): string {
  if (path === undefined || path === '' || path === '/') return '';
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  return withSlash.replace(/\/+$/, '');
}

function loginPage(issuer: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sign in to demo</title></head>
<body><form id="kc-form-login" action="${issuer}/login-actions/authenticate" method="post">
<input id="username" name="username"><input id="password" name="password" type="password">
<input type="submit" value="Sign In"></form></body>
</html>
`;
}

export async function startIssuer(
  options: { path?: string; mode?: IssuerMode; alg?: SigningAlg; slowMs?: number } = {},
): Promise<TestIssuer> {
  const defaultAlg: SigningAlg = options.alg ?? 'RS256';
  let mode: IssuerMode = options.mode ?? 'ok';
  let slowMs = options.slowMs ?? DEFAULT_SLOW_MS;
  let current = await makeKey(defaultAlg);
  /** Keys never published, by alg; their kid is overwritten to the current kid when signing. */
  const unpublished = new Map<string, KeyPair>();
  const requests: { path: string; at: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const prefix = normalisePath(options.path);

  let issuer = '';
  const jwks = (): { keys: Record<string, unknown>[] } => {
    const key: Record<string, unknown> = { ...current.publicJwk };
    if (mode === 'jwks-without-kid') delete key['kid'];
    return { keys: [key] };
  };

  function discovery(): Record<string, unknown> {
    const oidc = `${issuer}/protocol/openid-connect`;
    const doc: Record<string, unknown> = {
      issuer: mode === 'wrong-issuer' ? `${issuer}/` : issuer,
      authorization_endpoint: `${oidc}/auth`,
      token_endpoint: `${oidc}/token`,
      introspection_endpoint: `${oidc}/token/introspect`,
      userinfo_endpoint: `${oidc}/userinfo`,
      end_session_endpoint: `${oidc}/logout`,
      jwks_uri: `${oidc}/certs`,
      grant_types_supported: ['authorization_code', 'implicit', 'refresh_token', 'password', 'client_credentials'],
      response_types_supported: ['code', 'none', 'id_token', 'token', 'id_token token', 'code id_token', 'code token', 'code id_token token'],
      subject_types_supported: ['public', 'pairwise'],
      id_token_signing_alg_values_supported: ['PS384', 'ES384', 'RS384', 'HS256', 'HS512', 'ES256', 'RS256', 'HS384', 'ES512', 'PS256', 'PS512', 'RS512'],
      userinfo_signing_alg_values_supported: ['RS256', 'ES256', 'none'],
      scopes_supported: ['openid', 'profile', 'email', 'roles', 'offline_access', 'web-origins', 'microprofile-jwt'],
      claims_supported: ['aud', 'sub', 'iss', 'auth_time', 'name', 'given_name', 'family_name', 'preferred_username', 'email', 'acr'],
      token_endpoint_auth_methods_supported: ['private_key_jwt', 'client_secret_basic', 'client_secret_post', 'client_secret_jwt'],
      code_challenge_methods_supported: ['plain', 'S256'],
      claims_parameter_supported: true,
      request_parameter_supported: true,
    };
    if (mode === 'no-jwks-uri') delete doc['jwks_uri'];
    return doc;
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    requests.push({ path, at: Date.now() });
    req.resume();
    const answer = (): void => {
      const send = (status: number, body: string, contentType: string): void => {
        res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(body)) });
        res.end(body);
      };
      const sendJson = (status: number, value: unknown): void => send(status, JSON.stringify(value), 'application/json');
      if (path === `${prefix}/.well-known/openid-configuration`) {
        if (mode === 'discovery-404') return sendJson(404, { error: 'Realm does not exist' });
        if (mode === 'discovery-html') return send(200, loginPage(issuer), 'text/html;charset=utf-8');
        return sendJson(200, discovery());
      }
      if (path === `${prefix}/protocol/openid-connect/certs`) {
        if (mode === 'jwks-404') return sendJson(404, { error: 'Not Found' });
        if (mode === 'jwks-malformed') return sendJson(200, { keys: 'nope' });
        return send(200, JSON.stringify(jwks()), 'application/jwk-set+json');
      }
      return send(404, 'Not Found', 'text/plain');
    };
    if (mode === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, slowMs);
      timers.add(timer);
    } else answer();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  issuer = `http://127.0.0.1:${port}${prefix}`;

  async function unpublishedKey(alg: SigningAlg): Promise<KeyPair> {
    let key = unpublished.get(alg);
    if (key === undefined) {
      key = await makeKey(alg);
      unpublished.set(alg, key);
    }
    return key;
  }

  return {
    issuer,
    discoveryUrl: `${issuer}/.well-known/openid-configuration`,
    jwksUri: `${issuer}/protocol/openid-connect/certs`,
    jwks,
    requests,
    async sign(claims, signOptions = {}): Promise<string> {
      const alg = signOptions.alg ?? current.alg;
      // A different alg than the published key, or 'foreign', means a key the JWKS does not hold.
      const key = signOptions.key === 'foreign' || alg !== current.alg ? await unpublishedKey(alg) : current;
      const now = Math.floor(Date.now() / 1000);
      const payload: Record<string, unknown> = { iss: issuer, iat: now, exp: now + TOKEN_LIFETIME_S };
      for (const [name, value] of Object.entries(claims)) {
        if (value === undefined) delete payload[name];
        else payload[name] = value;
      }
      const kid = signOptions.kid === undefined ? current.kid : signOptions.kid;
      const header = { alg, typ: 'JWT', ...(kid === null ? {} : { kid }), ...signOptions.header };
      // The header is ours verbatim (tests forge odd headers); the cast only widens its type for jose.
      return new SignJWT(payload).setProtectedHeader(header as Parameters<SignJWT['setProtectedHeader']>[0]).sign(key.privateKey);
    },
    async rotate(): Promise<void> {
      current = await makeKey(current.alg);
    },
    setMode(next, modeOptions): void {
      mode = next;
      if (modeOptions?.slowMs !== undefined) slowMs = modeOptions.slowMs;
      else if (next === 'slow' && options.slowMs === undefined) slowMs = DEFAULT_SLOW_MS;
    },
    async close(): Promise<void> {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
