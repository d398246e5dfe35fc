/**
 * Issue 10 item 9: an IPv6 address that carries a blocked IPv4 address inside it reaches that IPv4 host
 * (through the kernel, a NAT64 gateway, a 6to4 or Teredo relay), so it is refused like the IPv4 address.
 * One table: the form, the spelling, the reason expected (undefined = allowed).
 */
import { blockedAddressReason, checkUrl } from '../../src/lib/url-guard.js';
import { rejection } from '../support/rejection.js';

const METADATA = 'a cloud metadata address';
const LINK_LOCAL = 'a link-local address';
const UNSPECIFIED = 'an unspecified address';
const MULTICAST = 'a multicast address';

// Teredo (RFC 4380 §4): 2001:0:<server v4>:<flags>:<port ^ 0xffff>:<client v4 ^ 0xffffffff>.
// 169.254.169.254 ^ 255.255.255.255 = 86.1.86.1 = 5601:5601; 192.0.2.45 ^ … = 3fff:fdd2 (the RFC's example).
const TABLE: [form: string, address: string, reason: string | undefined][] = [
  ['IPv4-compatible, dotted', '::169.254.169.254', METADATA],
  ['IPv4-compatible, hex', '::a9fe:a9fe', METADATA],
  ['IPv4-compatible, uncompressed', '0:0:0:0:0:0:a9fe:a9fe', METADATA],
  ['IPv4-compatible, leading zeros', '0000:0000:0000:0000:0000:0000:a9fe:a9fe', METADATA],
  ['IPv4-compatible, link-local', '::169.254.1.1', LINK_LOCAL],
  ['IPv4-compatible, multicast', '::224.0.0.1', MULTICAST],
  ['IPv4-mapped, dotted', '::ffff:169.254.169.254', METADATA],
  ['IPv4-mapped, hex', '::ffff:a9fe:a9fe', METADATA],
  ['IPv4-mapped, uncompressed upper case', '0:0:0:0:0:FFFF:A9FE:A9FE', METADATA],
  ['IPv4-mapped, 0.0.0.0', '::ffff:0.0.0.0', UNSPECIFIED],
  ['IPv4-translated (SIIT)', '::ffff:0:a9fe:a9fe', METADATA],
  ['NAT64 well-known prefix, dotted', '64:ff9b::169.254.169.254', METADATA],
  ['NAT64 well-known prefix, hex', '64:ff9b::a9fe:a9fe', METADATA],
  ['NAT64, Alibaba metadata', '64:ff9b::6464:64c8', METADATA],
  ['NAT64, ECS task metadata', '64:ff9b::a9fe:aa02', METADATA],
  ['6to4', '2002:a9fe:a9fe::1', METADATA],
  ['6to4 with a subnet and host', '2002:a9fe:a9fe:1:2:3:4:5', METADATA],
  ['6to4, link-local', '2002:a9fe:0101::', LINK_LOCAL],
  ['Teredo, client is the metadata address', '2001:0:4136:e378:8000:63bf:5601:5601', METADATA],
  ['Teredo, compressed', '2001::5601:5601', METADATA],
  ['Teredo, server is the metadata address', '2001:0:a9fe:a9fe::3fff:fdd2', METADATA],
  // Allowed: the embedded IPv4 address is loopback, private or public, as the IPv4 rules allow.
  ['loopback ::1 is not 0.0.0.1', '::1', undefined],
  ['IPv4-mapped loopback', '::ffff:127.0.0.1', undefined],
  ['IPv4-mapped private', '::ffff:10.0.0.1', undefined],
  ['NAT64 of a public address', '64:ff9b::8.8.8.8', undefined],
  ['6to4 of a public address', '2002:0808:0808::1', undefined],
  ['Teredo, RFC 4380 example (client 192.0.2.45)', '2001:0:4136:e378:8000:63bf:3fff:fdd2', undefined],
  ['documentation prefix is not Teredo', '2001:db8::a9fe:a9fe', undefined],
  ['ordinary global address', '2a00:1450:4001:80b::200e', undefined],
];

describe('IPv6 forms embedding a blocked IPv4 address', () => {
  it.each(TABLE)('%s: %s → %s', (_form, address, reason) => {
    expect(blockedAddressReason(address)).toBe(reason);
  });

  // The URL parser rewrites [::169.254.169.254] as [::a9fe:a9fe]: checkUrl must see through both.
  it.each(TABLE.filter(([, , reason]) => reason !== undefined))('checkUrl refuses http://[%s]', async (_form, address, reason) => {
    const err = await rejection(Promise.resolve().then(() => checkUrl(`http://[${address}]/latest/meta-data/`)));
    expect(err.message).toContain(`points at ${reason ?? ''}`);
  });

  it.each(TABLE.filter(([, , reason]) => reason === undefined))('checkUrl accepts http://[%s]', (_form, address) => {
    expect(checkUrl(`http://[${address}]/jwks`).protocol).toBe('http:');
  });
});
