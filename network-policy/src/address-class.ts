/**
 * What kind of address an IP is, for deciding whether an origin may push media to it. Pure: the
 * caller resolves host names and classifies every address it gets.
 *
 * The tables follow IANA's IPv4 and IPv6 Special-Purpose Address Registries (and the IPv4
 * multicast and IPv6 address space registries): a block the registry marks as not globally
 * reachable is not public, and a more specific block it marks as globally reachable (an anycast
 * service inside a reserved block) is. In IPv6 only 2000::/3 is allocated as global unicast:
 * anything else not named below is reserved.
 *
 * IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:a.b.c.d, IPv4-translated
 * ::ffff:0:a.b.c.d, the NAT64 prefix 64:ff9b::/96, 6to4 2002::/16, the old IPv4-compatible
 * ::a.b.c.d) are classified by the IPv4 address inside, since that is where a connection would
 * end up.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unspecified'
  | 'carrier-grade NAT'
  | 'multicast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved';

interface Range {
  /** The network's bytes; only the first `bits` bits count. */
  prefix: readonly number[];
  bits: number;
  kind: AddressClass;
}

/** The first range that holds an address decides: more specific ranges come first. */
const IPV4_RANGES: readonly Range[] = [
  { prefix: [0], bits: 8, kind: 'unspecified' }, // 0.0.0.0/8 "this network"; 0.0.0.0 reaches the local host
  { prefix: [10], bits: 8, kind: 'private' },
  { prefix: [100, 64], bits: 10, kind: 'carrier-grade NAT' }, // shared address space
  { prefix: [127], bits: 8, kind: 'loopback' },
  { prefix: [169, 254], bits: 16, kind: 'link-local' }, // also cloud metadata services (169.254.169.254)
  { prefix: [172, 16], bits: 12, kind: 'private' },
  { prefix: [192, 0, 0, 9], bits: 32, kind: 'public' }, // Port Control Protocol anycast
  { prefix: [192, 0, 0, 10], bits: 32, kind: 'public' }, // TURN anycast
  { prefix: [192, 0, 0], bits: 24, kind: 'reserved' }, // IETF protocol assignments (DS-Lite, NAT64 discovery...)
  { prefix: [192, 0, 2], bits: 24, kind: 'documentation' }, // TEST-NET-1
  { prefix: [192, 88, 99], bits: 24, kind: 'reserved' }, // deprecated 6to4 relay anycast
  { prefix: [192, 168], bits: 16, kind: 'private' },
  { prefix: [198, 18], bits: 15, kind: 'benchmarking' }, // often used inside networks (VPN fake-IP ranges)
  { prefix: [198, 51, 100], bits: 24, kind: 'documentation' }, // TEST-NET-2
  { prefix: [203, 0, 113], bits: 24, kind: 'documentation' }, // TEST-NET-3
  { prefix: [224], bits: 4, kind: 'multicast' },
  { prefix: [240], bits: 4, kind: 'reserved' }, // includes 255.255.255.255, the limited broadcast
];

const IPV6_RANGES: readonly Range[] = [
  { prefix: [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], bits: 48, kind: 'private' }, // local-use translation: a network's own NAT64
  { prefix: [0x01, 0x00, 0, 0, 0, 0, 0, 0], bits: 64, kind: 'reserved' }, // discard-only 100::/64
  { prefix: [0x01, 0x00, 0, 0, 0, 0, 0, 0x01], bits: 64, kind: 'reserved' }, // dummy prefix 100:0:0:1::/64
  // IETF protocol assignments 2001::/23, less the blocks the registry marks globally reachable.
  { prefix: [0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01], bits: 128, kind: 'public' }, // PCP anycast
  { prefix: [0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02], bits: 128, kind: 'public' }, // TURN anycast
  { prefix: [0x20, 0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03], bits: 128, kind: 'public' }, // DNS-SD SRP anycast
  { prefix: [0x20, 0x01, 0x00, 0x02, 0x00, 0x00], bits: 48, kind: 'benchmarking' },
  { prefix: [0x20, 0x01, 0x00, 0x03], bits: 32, kind: 'public' }, // AMT
  { prefix: [0x20, 0x01, 0x00, 0x04, 0x01, 0x12], bits: 48, kind: 'public' }, // AS112-v6
  { prefix: [0x20, 0x01, 0x00, 0x20], bits: 28, kind: 'public' }, // ORCHIDv2
  { prefix: [0x20, 0x01, 0x00, 0x30], bits: 28, kind: 'public' }, // Drone Remote ID
  { prefix: [0x20, 0x01, 0x00], bits: 23, kind: 'reserved' }, // includes Teredo 2001::/32 and ORCHID 2001:10::/28
  { prefix: [0x20, 0x01, 0x0d, 0xb8], bits: 32, kind: 'documentation' },
  { prefix: [0x3f, 0xff], bits: 20, kind: 'documentation' },
  { prefix: [0x20], bits: 3, kind: 'public' }, // global unicast 2000::/3
  { prefix: [0xfc], bits: 7, kind: 'private' }, // unique local
  { prefix: [0xfe, 0x80], bits: 10, kind: 'link-local' },
  { prefix: [0xfe, 0xc0], bits: 10, kind: 'private' }, // deprecated site-local
  { prefix: [0xff], bits: 8, kind: 'multicast' },
];

/** The class of an IPv4 or IPv6 address (a zone such as `%eth0` is ignored); null when `address` is not an IP. */
export function classifyAddress(address: string): AddressClass | null {
  const bare = address.replace(/%.*$/, '');
  if (isIPv4(bare)) return classifyIPv4(parseIPv4(bare));
  if (isIPv6(bare)) return classifyIPv6(parseIPv6(bare));
  return null;
}

function classifyIPv4(bytes: readonly number[]): AddressClass {
  return IPV4_RANGES.find((range) => inRange(bytes, range))?.kind ?? 'public';
}

function classifyIPv6(bytes: readonly number[]): AddressClass {
  const embedded = embeddedIPv4(bytes);
  if (embedded) return classifyIPv4(embedded);
  if (bytes.every((byte) => byte === 0)) return 'unspecified';
  if (bytes.slice(0, 15).every((byte) => byte === 0) && bytes[15] === 1) return 'loopback';
  // SRv6 SIDs (5f00::/16) and everything else outside 2000::/3 is not allocated for hosts.
  return IPV6_RANGES.find((range) => inRange(bytes, range))?.kind ?? 'reserved';
}

/** The IPv4 address an IPv6 address stands for, or null. */
function embeddedIPv4(bytes: readonly number[]): number[] | null {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  // ::ffff:a.b.c.d (IPv4-mapped)
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12, 16);
  // ::ffff:0:a.b.c.d (IPv4-translated, SIIT)
  if (zeros(0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeros(10, 12)) return bytes.slice(12, 16);
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return bytes.slice(12, 16);
  // 2002:aabb:ccdd::/48 (6to4)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  // ::a.b.c.d (IPv4-compatible, deprecated), but not :: and ::1
  if (zeros(0, 12) && !zeros(12, 15)) return bytes.slice(12, 16);
  return null;
}

function inRange(bytes: readonly number[], { prefix, bits }: Range): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, bits - bit))) & 0xff;
    const index = bit / 8;
    if (((bytes[index] ?? 0) & mask) !== ((prefix[index] ?? 0) & mask)) return false;
  }
  return true;
}

function parseIPv4(text: string): number[] {
  return text.split('.').map(Number);
}

/** 16 bytes of a valid IPv6 address (checked by isIPv6), with `::` expanded and a dotted IPv4 tail. */
function parseIPv6(text: string): number[] {
  let groups: number[] = [];
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => {
    const out: number[] = [];
    for (const piece of part === '' ? [] : part.split(':')) {
      if (piece.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = parseIPv4(piece);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const left = parse(head);
  if (tail === undefined) {
    groups = left;
  } else {
    const right = parse(tail);
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}
