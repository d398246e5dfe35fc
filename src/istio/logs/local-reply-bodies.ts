/**
 * Istio ≤ 1.8 access logs carry no %RESPONSE_CODE_DETAILS%, but Istio's own refusals have fixed bodies,
 * so %BYTES_SENT% still tells who refused: the legacy istio_authn filter answers
 * "Origin authentication failed." (29 bytes) / "Peer authentication failed." (27), Envoy's jwt_authn
 * answers its status string (jwt_verify_lib status.cc, ISTIO-JWT §4.1–4.2), RBAC "RBAC: access denied" (19).
 * A length can fit several strings: all candidates are named.
 */
const JWT_STATUS_401 = [
  'Jwt is missing',
  'Jwt is expired',
  'Jwt not yet valid',
  'Jwt issuer is not configured',
  'Jwt verification fails',
  "Jwks doesn't have key to match kid or alg from Jwt",
  "Jwks doesn't have any valid public key",
  'Jwks remote fetch is failed',
  'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
  'Jwt is not in the form of Header.Payload.Signature',
];

const BODIES: { code: number; body: string; who: string }[] = [
  { code: 401, body: 'Origin authentication failed.', who: 'legacy origin (JWT) authentication: token missing or invalid' },
  { code: 401, body: 'Peer authentication failed.', who: 'legacy peer (mTLS) authentication' },
  { code: 403, body: 'RBAC: access denied', who: 'AuthorizationPolicy (RBAC)' },
  { code: 403, body: 'Audiences in Jwt are not allowed', who: 'JWT audience check' },
  ...JWT_STATUS_401.map((body) => ({ code: 401, body, who: 'JWT filter' })),
];

export interface InferredRefusal {
  source: 'jwt' | 'rbac';
  reason: string;
}

export function inferRefusalFromBodySize(code: number, bytesSent: number): InferredRefusal | undefined {
  const candidates = BODIES.filter((b) => b.code === code && Buffer.byteLength(b.body) === bytesSent);
  if (candidates.length === 0) return undefined;
  const source = candidates.every((c) => c.who.startsWith('AuthorizationPolicy')) ? 'rbac' : 'jwt';
  const names = candidates.map((c) => `"${c.body}"`).join(' or ');
  return { source, reason: `${names} (inferred from the ${bytesSent}-byte body: ${candidates[0]?.who})` };
}
