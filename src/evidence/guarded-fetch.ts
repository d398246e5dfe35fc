import { readFileSync } from 'node:fs';
import type { ReadableStream } from 'node:stream/web';
import { Agent, EnvHttpProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
import type { ProxySettings } from '../config.js';
import type { DocumentFetcher } from '../model/document-fetcher.js';
import type { FetchedDocument } from '../model/index.js';
import { JwtcheckError, isJwtcheckError } from '../errors.js';
import { classifyNetworkCode, rootCause } from '../lib/network-errors.js';
import { formatSeconds } from '../lib/time-words.js';
import { BLOCKED_LOOKUP_CODE, checkUrl, createGuardedLookup, redactUrl } from '../lib/url-guard.js';
import type { ResolveAll } from '../lib/url-guard.js';

/**
 * The live DocumentFetcher: issuer discovery and JWKS documents, under the rules of DESIGN §8
 * (http/https only, no link-local or metadata addresses, ≤ 3 redirects, a timeout over the whole
 * exchange, a size cap). Uses undici's own fetch with its own Agent (STACK §4): the Agent's
 * `connect.lookup` checks DNS answers at connect time; IP literals are checked by `checkUrl` first.
 * The Agent passes no `ca`, so Node's trust store, and with it NODE_EXTRA_CA_CERTS, stays in force.
 *
 * With HTTPS_PROXY/HTTP_PROXY set (and the host not in NO_PROXY), requests go through undici's
 * EnvHttpProxyAgent: the proxy resolves the issuer's name, so the connect-time DNS check cannot see
 * that answer. What still holds: IP literals and every redirect target are refused by `checkUrl`
 * before any request, and hosts in NO_PROXY are connected to directly, under the DNS check.
 */

export const FETCH_TIMEOUT_MS = 5000;
export const FETCH_MAX_BYTES = 1024 * 1024;
export const FETCH_MAX_REDIRECTS = 3;

export interface GuardedFetcherOptions {
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  /** Defaults to `jwtcheck/<package version>`. */
  userAgent?: string;
  /** DNS resolution under the guard; defaults to dns.lookup. Tests inject a resolver that rebinds. */
  resolve?: ResolveAll;
  /** From config.proxy; passed explicitly so that only loadConfig reads the environment. */
  proxy?: ProxySettings;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export class GuardedFetcher implements DocumentFetcher {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly maxRedirects: number;
  private readonly userAgent: string;
  // pipelining 0 = no keep-alive: a diagnosis makes a handful of requests, and idle pooled sockets
  // would only hold the process (and Jest) open after it.
  private readonly agent: Dispatcher;
  /** One fetch per URL per diagnosis: the promise is cached, failures included. */
  private readonly cache = new Map<string, Promise<FetchedDocument>>();
  private requests = 0;
  private readonly urls: string[] = [];

  constructor(options: GuardedFetcherOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
    this.maxBytes = options.maxBytes ?? FETCH_MAX_BYTES;
    this.maxRedirects = options.maxRedirects ?? FETCH_MAX_REDIRECTS;
    this.userAgent = options.userAgent ?? `jwtcheck/${packageVersion()}`;
    const direct = { connect: { lookup: createGuardedLookup(options.resolve) }, pipelining: 0 };
    const proxy = options.proxy;
    this.agent =
      proxy?.httpProxy !== undefined || proxy?.httpsProxy !== undefined
        ? // '' rather than undefined: EnvHttpProxyAgent would read process.env for a missing one.
          new EnvHttpProxyAgent({ ...direct, httpProxy: proxy.httpProxy ?? '', httpsProxy: proxy.httpsProxy ?? proxy.httpProxy ?? '', noProxy: proxy.noProxy ?? '' })
        : new Agent(direct);
  }

  fetch(url: string): Promise<FetchedDocument> {
    let pending = this.cache.get(url);
    if (!pending) {
      pending = this.fetchUncached(url);
      this.cache.set(url, pending);
    }
    return pending;
  }

  /** HTTP requests sent (each redirect hop counts). */
  requestCount(): number {
    return this.requests;
  }

  /** Every URL a request was sent to, in order, redirect hops included. */
  fetchedUrls(): string[] {
    return [...this.urls];
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async fetchUncached(url: string): Promise<FetchedDocument> {
    const first = checkUrl(url);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    let current = first;
    try {
      for (let hop = 0; ; hop += 1) {
        this.requests += 1;
        this.urls.push(current.href);
        const response = await undiciFetch(current, {
          method: 'GET',
          redirect: 'manual',
          signal: controller.signal,
          dispatcher: this.agent,
          headers: { accept: 'application/json', 'user-agent': this.userAgent },
        });
        const location = response.headers.get('location');
        if (REDIRECT_STATUSES.has(response.status) && location !== null) {
          await response.body?.cancel().catch(() => undefined);
          if (hop >= this.maxRedirects) {
            throw new JwtcheckError(
              'http-status',
              `${redactUrl(first)} redirected more than ${this.maxRedirects} times (last to ${location}): point the policy at the final URL.`,
            );
          }
          current = checkRedirect(location, current, first);
          continue;
        }
        const body = await readCapped(response.body, this.maxBytes, first);
        const contentType = response.headers.get('content-type') ?? undefined;
        return {
          url,
          finalUrl: current.href,
          status: response.status,
          ...(contentType !== undefined ? { contentType } : {}),
          body,
        };
      }
    } catch (err) {
      if (isJwtcheckError(err)) throw err;
      if (timedOut) {
        throw new JwtcheckError(
          'timeout',
          `${redactUrl(first)} did not answer within ${formatSeconds(this.timeoutMs)}: check that the issuer is up and reachable from where jwtcheck runs.`,
          { cause: err },
        );
      }
      throw describeNetworkError(err, current);
    } finally {
      clearTimeout(timer);
    }
  }
}

function checkRedirect(location: string, from: URL, first: URL): URL {
  let next: string;
  try {
    next = new URL(location, from).href;
  } catch {
    throw new JwtcheckError('http-status', `${redactUrl(first)} redirected to an invalid URL (${location}).`);
  }
  try {
    return checkUrl(next);
  } catch (err) {
    if (isJwtcheckError(err)) {
      throw new JwtcheckError('blocked', `${redactUrl(first)} redirected to a refused URL: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
}

/** Reads the body as a stream and stops at `maxBytes`, so a huge or endless body costs at most that. */
async function readCapped(body: ReadableStream<Uint8Array> | null, maxBytes: number, url: URL): Promise<string> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new JwtcheckError(
        'too-large',
        `${redactUrl(url)} sent more than ${formatBytes(maxBytes)}: a discovery document or key set is a few KiB, so this is not one; check the URL in the policy.`,
      );
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
}

/** Turns undici's `TypeError('fetch failed')` (the reason is in `cause`) into a sentence for an issuer URL. */
export function describeNetworkError(err: unknown, url: URL): JwtcheckError {
  const cause = rootCause(err);
  const shown = redactUrl(url);
  if (cause?.code === BLOCKED_LOOKUP_CODE) {
    return new JwtcheckError('blocked', `${shown} refused: ${cause.message ?? 'blocked address'}; jwtcheck does not fetch such addresses.`, {
      cause: err,
    });
  }
  const code = cause?.code ?? '';
  const host = url.host;
  let reason: string;
  switch (classifyNetworkCode(code)) {
    case 'dns':
      reason = `the host name ${url.hostname} does not resolve (DNS ${code}): check the spelling, or whether the name only resolves inside the cluster`;
      break;
    case 'refused':
      reason = `the connection to ${host} was refused: nothing listens there; check the host and port`;
      break;
    case 'reset':
      reason = `the connection to ${host} was reset: a proxy or firewall may be dropping it`;
      break;
    case 'timeout':
    case 'no-route':
      reason = `${host} cannot be reached (${code}): check network policies and egress from where jwtcheck runs`;
      break;
    case 'tls-untrusted':
      reason = `the certificate is not trusted (${code}): set NODE_EXTRA_CA_CERTS to the issuer's CA bundle`;
      break;
    case 'tls-expired':
      reason = `the certificate of ${host} has expired: renew it`;
      break;
    case 'tls-name':
      reason = `the certificate of ${host} is not valid for that name: use the host name the certificate names`;
      break;
    case 'tls-handshake':
      reason = `the TLS handshake with ${host} failed (${code}): is that port really https?`;
      break;
    case undefined:
      reason = `the request failed (${code || (cause?.message ?? 'unknown error')})`;
  }
  return new JwtcheckError('unreachable', `Could not fetch ${shown}: ${reason}.`, { cause: err });
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

let cachedVersion: string | undefined;

/** The version from our package.json, found by walking up from this file (src/ and dist/src/ both work). */
function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  cachedVersion = 'unknown';
  let dir = new URL('./', import.meta.url);
  for (let depth = 0; depth < 5; depth += 1) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'jwtcheck' && typeof pkg.version === 'string') {
        cachedVersion = pkg.version;
        break;
      }
    } catch {
      // not here: keep walking up
    }
    dir = new URL('../', dir);
  }
  return cachedVersion;
}
