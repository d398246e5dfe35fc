/**
 * What a request that got no answer failed on, read from the error codes Node and undici put in the
 * cause chain. The issuer fetcher and the Kubernetes client wrapper each word the failure for their own
 * reader, but both must recognise the same codes and walk the chain the same way.
 */

/** The kinds of "no answer" a user can act on differently. */
export type NetworkFailure =
  | 'dns'
  | 'refused'
  | 'reset'
  | 'timeout'
  | 'no-route'
  | 'tls-untrusted'
  | 'tls-expired'
  | 'tls-name'
  | 'tls-handshake';

/** OpenSSL verify codes that mean "no trusted CA signed this chain" (fix: a CA bundle, not the server). */
const TLS_UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);

export function classifyNetworkCode(code: string | undefined): NetworkFailure | undefined {
  if (code === undefined || code === '') return undefined;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return 'dns';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no-route';
  if (TLS_UNTRUSTED_CODES.has(code)) return 'tls-untrusted';
  if (code === 'CERT_HAS_EXPIRED') return 'tls-expired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'tls-name';
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_')) return 'tls-handshake';
  return undefined;
}

export interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

const MAX_CAUSE_DEPTH = 6;

/**
 * The error and its causes, outermost first (undici nests TypeError → cause → sometimes AggregateError,
 * whose first member is followed). Duck-typed on purpose: errors made by Node core (DOMException, system
 * errors) come from another realm under Jest's VM, where `instanceof Error` fails.
 */
export function causeChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let current: unknown = err; typeof current === 'object' && current !== null && chain.length < MAX_CAUSE_DEPTH; ) {
    const like = current as ErrorLike;
    chain.push(like);
    const first: unknown = Array.isArray(like.errors) ? like.errors[0] : undefined;
    current = like.cause ?? first;
  }
  return chain;
}

/** The innermost cause that carries a string `code` (the most specific), else the innermost cause. */
export function rootCause(err: unknown): { code?: string; message?: string } | undefined {
  const chain = causeChain(err);
  const coded = [...chain].reverse().find((e) => typeof e.code === 'string');
  const found = coded ?? (chain.length > 1 ? chain[chain.length - 1] : undefined);
  if (!found) return undefined;
  return {
    ...(typeof found.code === 'string' ? { code: found.code } : {}),
    ...(typeof found.message === 'string' ? { message: found.message } : {}),
  };
}
