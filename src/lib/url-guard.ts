import { BlockList, isIP } from 'node:net';
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns';
import { JwtcheckError } from '../errors.js';
import { embeddedIpv4 } from './embedded-ipv4.js';

/**
 * The SSRF guard for issuer documents (DESIGN §8). Policies in the cluster name the URLs we fetch, and
 * whoever can write a RequestAuthentication could point jwksUri at the node's cloud metadata service,
 * so those addresses are refused: as IP literals here, and for host names at connect time (the DNS
 * answer is checked by `guardedLookup`, which the undici Agent uses, so a rebinding name cannot slip by).
 * Loopback and private ranges stay allowed on purpose: in-cluster issuers (keycloak.auth.svc) live there.
 */

const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

/** Names of metadata services that do not need DNS to resolve into the blocked ranges to be dangerous. */
const BLOCKED_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.com',
  'metadata.azure.internal',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.platformequinix.com',
]);

interface BlockedRange {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  reason: string;
}

// Checked in order, so the specific metadata addresses come before the ranges that contain them.
const BLOCKED_RANGES: readonly BlockedRange[] = [
  { network: '169.254.169.254', prefix: 32, family: 'ipv4', reason: 'a cloud metadata address' },
  { network: '169.254.170.2', prefix: 32, family: 'ipv4', reason: 'a cloud metadata address' },
  { network: '100.100.100.200', prefix: 32, family: 'ipv4', reason: 'a cloud metadata address' },
  { network: 'fd00:ec2::254', prefix: 128, family: 'ipv6', reason: 'a cloud metadata address' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', reason: 'a link-local address' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', reason: 'a link-local address' },
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', reason: 'an unspecified address' },
  { network: '::', prefix: 128, family: 'ipv6', reason: 'an unspecified address' },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', reason: 'a multicast address' },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', reason: 'a reserved or broadcast address' },
  { network: 'ff00::', prefix: 8, family: 'ipv6', reason: 'a multicast address' },
];

const blockLists = BLOCKED_RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.network, range.prefix, range.family);
  return { list, reason: range.reason };
});

/**
 * Why `address` (an IP literal) must not be contacted, or undefined when it may be. An IPv6 address
 * that carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo: see embedded-ipv4.ts) is judged
 * by that IPv4 address too, since that is the host it reaches.
 */
export function blockedAddressReason(address: string): string | undefined {
  const version = isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const direct = blockLists.find(({ list }) => list.check(address, family))?.reason;
  if (direct !== undefined || version === 4) return direct;
  for (const inner of embeddedIpv4(address)) {
    const reason = blockedAddressReason(inner);
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/**
 * Parses and checks a URL before any connection: scheme, credentials, metadata host names, and IP
 * literals (which never reach a DNS lookup, so the connect-time check cannot see them).
 * Returns the parsed URL; throws JwtcheckError('blocked') with the reason.
 */
export function checkUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new JwtcheckError('blocked', `"${text}" is not a valid URL: the policy must name an absolute http(s) URL.`);
  }
  if (!ALLOWED_PROTOCOLS.has(url.protocol)) {
    throw new JwtcheckError(
      'blocked',
      `jwtcheck fetches only http and https URLs, not ${url.protocol} (${redactUrl(url)}): the issuer and jwksUri must be https URLs.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new JwtcheckError(
      'blocked',
      `${redactUrl(url)} carries a user name or password: jwtcheck does not send credentials in URLs; remove them from the policy.`,
    );
  }
  const host = hostOf(url);
  if (BLOCKED_HOSTNAMES.has(host)) {
    throw new JwtcheckError('blocked', `${redactUrl(url)} names a cloud metadata service: jwtcheck refuses to fetch it.`);
  }
  const reason = blockedAddressReason(host);
  if (reason !== undefined) {
    throw new JwtcheckError('blocked', `${redactUrl(url)} points at ${reason}: jwtcheck refuses to fetch it.`);
  }
  return url;
}

/** The host without IPv6 brackets and without a trailing dot (metadata.google.internal. is the same name). */
export function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase();
  const unbracketed = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return unbracketed.endsWith('.') ? unbracketed.slice(0, -1) : unbracketed;
}

/** The URL as safe to show: credentials dropped (they never belong in a message). */
export function redactUrl(url: URL): string {
  if (url.username === '' && url.password === '') return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

/** Error code set on lookups refused by the guard, so the fetcher can tell them from DNS failures. */
export const BLOCKED_LOOKUP_CODE = 'EJWTCHECKBLOCKED';

export class BlockedAddressError extends Error {
  readonly code = BLOCKED_LOOKUP_CODE;
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`${hostname} resolves to ${address}, ${reason}`);
    this.name = 'BlockedAddressError';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** The part of `dns.lookup` the guard calls: always with `all: true`. */
export type ResolveAll = (
  hostname: string,
  options: LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export type GuardedLookup = (
  hostname: string,
  options: LookupOneOptions | LookupAllOptions | number | undefined,
  callback: LookupCallback,
) => void;

/**
 * A drop-in for `dns.lookup` (the signature net.connect and undici's `connect.lookup` call) that
 * fails when ANY resolved address is blocked: refusing the whole name, rather than filtering, keeps a
 * name that mixes a public and a metadata address from being used at all. `resolve` is injectable so
 * tests can play a DNS that answers with a metadata address.
 */
export function createGuardedLookup(resolve: ResolveAll = dnsLookup): GuardedLookup {
  return (hostname, options, callback) => {
    const opts: LookupAllOptions =
      typeof options === 'number' ? { family: options, all: true } : { ...(options ?? {}), all: true };
    const wantsAll = typeof options === 'object' && options !== null && options.all === true;
    resolve(hostname, opts, (err, addresses) => {
      if (err) {
        callback(err, wantsAll ? [] : '');
        return;
      }
      for (const entry of addresses) {
        const reason = blockedAddressReason(entry.address);
        if (reason !== undefined) {
          callback(new BlockedAddressError(hostname, entry.address, reason), wantsAll ? [] : '');
          return;
        }
      }
      const first = addresses[0];
      if (wantsAll) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
    });
  };
}

export const guardedLookup: GuardedLookup = createGuardedLookup();
