/**
 * The address classes against IANA's special-purpose registries: each block at its first and
 * last address, and the addresses just outside it.
 */
import t, { type Test } from 'tap';
import { classifyAddress } from '../src/address-class.js';

const check = (t: Test, cases: [string, string][]) => {
  for (const [address, kind] of cases) t.equal(classifyAddress(address), kind, address);
};

t.test('IPv4 special-purpose registry', async (t) => {
  check(t, [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['0.0.0.0', 'unspecified'], // "this host"
    ['0.1.2.3', 'unspecified'], // 0.0.0.0/8 "this network"
    ['0.255.255.255', 'unspecified'],
    ['1.0.0.0', 'public'],
    ['9.255.255.255', 'public'],
    ['10.0.0.0', 'private'],
    ['10.255.255.255', 'private'],
    ['11.0.0.0', 'public'],
    ['100.63.255.255', 'public'],
    ['100.64.0.0', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['100.128.0.0', 'public'],
    ['126.255.255.255', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['128.0.0.0', 'public'],
    ['169.253.255.255', 'public'],
    ['169.254.169.254', 'link-local'], // cloud metadata
    ['169.254.255.255', 'link-local'],
    ['169.255.0.0', 'public'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['191.255.255.255', 'public'],
    ['192.0.0.0', 'reserved'], // IETF protocol assignments: DS-Lite 192.0.0.0/29
    ['192.0.0.8', 'reserved'], // IPv4 dummy address
    ['192.0.0.9', 'public'], // PCP anycast: globally reachable
    ['192.0.0.10', 'public'], // TURN anycast: globally reachable
    ['192.0.0.170', 'reserved'], // NAT64/DNS64 discovery
    ['192.0.0.171', 'reserved'],
    ['192.0.0.255', 'reserved'],
    ['192.0.1.0', 'public'],
    ['192.0.2.0', 'documentation'], // TEST-NET-1
    ['192.0.2.255', 'documentation'],
    ['192.0.3.0', 'public'],
    ['192.31.196.1', 'public'], // AS112-v4: globally reachable
    ['192.52.193.1', 'public'], // AMT: globally reachable
    ['192.88.98.255', 'public'],
    ['192.88.99.0', 'reserved'], // deprecated 6to4 relay anycast
    ['192.88.99.255', 'reserved'],
    ['192.88.100.0', 'public'],
    ['192.167.255.255', 'public'],
    ['192.168.0.0', 'private'],
    ['192.168.255.255', 'private'],
    ['192.169.0.1', 'public'],
    ['192.175.48.1', 'public'], // AS112 direct delegation: globally reachable
    ['198.17.255.255', 'public'],
    ['198.18.0.0', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.20.0.0', 'public'],
    ['198.51.99.255', 'public'],
    ['198.51.100.0', 'documentation'], // TEST-NET-2
    ['198.51.100.255', 'documentation'],
    ['198.51.101.0', 'public'],
    ['203.0.112.255', 'public'],
    ['203.0.113.0', 'documentation'], // TEST-NET-3
    ['203.0.113.255', 'documentation'],
    ['203.0.114.0', 'public'],
    ['223.255.255.255', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'], // limited broadcast
  ]);
});

t.test('IPv6 special-purpose registry', async (t) => {
  check(t, [
    ['2001:4860:4860::8888', 'public'],
    ['2a03:2880:f003:c07:face:b00c::2', 'public'],
    ['2000::', 'public'],
    ['3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'public'],
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::2', 'reserved'], // ::/8 is not allocated
    ['64:ff9b:1::1', 'private'], // local-use IPv4/IPv6 translation (RFC 8215)
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', 'private'],
    ['100::', 'reserved'], // discard-only
    ['100::ffff:ffff:ffff:ffff', 'reserved'],
    ['100:0:0:1::1', 'reserved'], // dummy prefix
    ['2001::1', 'reserved'], // Teredo, inside the IETF protocol assignments 2001::/23
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
    ['2001:1::1', 'public'], // PCP anycast: globally reachable
    ['2001:1::2', 'public'], // TURN anycast
    ['2001:1::3', 'public'], // DNS-SD SRP anycast
    ['2001:1::4', 'reserved'],
    ['2001:2::', 'benchmarking'],
    ['2001:2:0:ffff:ffff:ffff:ffff:ffff', 'benchmarking'],
    ['2001:2:1::', 'reserved'],
    ['2001:3::1', 'public'], // AMT
    ['2001:4:112::1', 'public'], // AS112-v6
    ['2001:4:113::1', 'reserved'],
    ['2001:10::1', 'reserved'], // deprecated ORCHID
    ['2001:20::1', 'public'], // ORCHIDv2
    ['2001:2f::1', 'public'],
    ['2001:30::1', 'public'], // Drone Remote ID
    ['2001:1ff:ffff::1', 'reserved'],
    ['2001:200::1', 'public'],
    ['2001:db7:ffff::1', 'public'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation'],
    ['2001:db9::1', 'public'],
    ['3fff::1', 'documentation'], // RFC 9637
    ['3fff:fff:ffff::1', 'documentation'],
    ['3fff:1000::1', 'public'],
    ['4000::1', 'reserved'], // outside 2000::/3
    ['5f00::1', 'reserved'], // SRv6 SIDs
    ['fbff::1', 'reserved'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'private'], // deprecated site-local
    ['ff02::1', 'multicast'],
  ]);
});

t.test('IPv6 addresses that carry an IPv4 address are classified by it', async (t) => {
  check(t, [
    ['::ffff:127.0.0.1', 'loopback'], // IPv4-mapped
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:10.1.2.3', 'private'],
    ['::ffff:a01:203', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:100.64.1.1', 'carrier-grade NAT'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:198.18.0.1', 'benchmarking'],
    ['::ffff:192.0.0.1', 'reserved'],
    ['::ffff:8.8.8.8', 'public'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['::ffff:0:127.0.0.1', 'loopback'], // IPv4-translated (SIIT)
    ['::ffff:0:7f00:1', 'loopback'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['0:0:0:0:ffff:0:c0a8:101', 'private'],
    ['::ffff:0:8.8.8.8', 'public'],
    ['64:ff9b::10.0.0.1', 'private'], // NAT64 well-known prefix
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:0808:0808::1', 'public'],
    ['::127.0.0.1', 'loopback'], // IPv4-compatible (deprecated)
    ['::10.0.0.1', 'private'],
  ]);
});

t.test('not an IP address', async (t) => {
  for (const text of ['', 'localhost', 'live.twitch.tv', '256.0.0.1', '1.2.3', '::g', '[::1]', '2130706433', '0177.0.0.1']) {
    t.equal(classifyAddress(text), null, JSON.stringify(text));
  }
});
