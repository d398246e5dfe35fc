import { isIPv6 } from 'node:net';

/**
 * The IPv4 addresses an IPv6 address carries and would reach: a packet to one of these IPv6 forms is
 * delivered to the IPv4 host by the kernel (mapped, compatible, SIIT), a NAT64 gateway, or a 6to4 or
 * Teredo relay. The URL guard checks each against the IPv4 rules, so `[::a9fe:a9fe]` is refused like
 * 169.254.169.254. Sources: RFC 4291 §2.5.5 (compatible, mapped), RFC 6052 §2.1 (64:ff9b::/96),
 * RFC 2765 §2.1 (::ffff:0:0:0/96), RFC 3056 §2 (2002::/16), RFC 4380 §4 (2001::/32).
 */
export function embeddedIpv4(address: string): string[] {
  const words = ipv6Words(address);
  if (words === undefined) return [];
  const v4 = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  const zeros = (from: number, to: number) => words.slice(from, to).every((w) => w === 0);
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = words;
  const last = v4(w6, w7);
  // ::a.b.c.d (compatible) — except :: and ::1, which are IPv6's own unspecified and loopback addresses.
  if (zeros(0, 6) && (w6 !== 0 || w7 > 1)) return [last];
  if (zeros(0, 5) && w5 === 0xffff) return [last]; // ::ffff:a.b.c.d, mapped
  if (zeros(0, 4) && w4 === 0xffff && w5 === 0) return [last]; // ::ffff:0:a.b.c.d, translated
  if (w0 === 0x64 && w1 === 0xff9b && zeros(2, 6)) return [last]; // NAT64 well-known prefix
  if (w0 === 0x2002) return [v4(w1, w2)]; // 6to4: the relay sends it to this IPv4 address
  // Teredo: server in clear, client (where the packet ends up) with every bit inverted.
  if (w0 === 0x2001 && w1 === 0) return [v4(w6 ^ 0xffff, w7 ^ 0xffff), v4(w2, w3)];
  return [];
}

/** The eight 16-bit words of an IPv6 literal (any spelling: compressed, dotted tail, leading zeros). */
function ipv6Words(address: string): number[] | undefined {
  if (!isIPv6(address)) return undefined;
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...fill, ...right];
}
