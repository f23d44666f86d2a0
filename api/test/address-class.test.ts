import t from 'tap';
import { classifyAddress } from '../src/restream/address-class.js';

t.test('IPv4', async (t) => {
  const cases: [string, string][] = [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['203.0.113.5', 'public'], // documentation range: not a private network
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.16.0.0', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.168.1.10', 'private'],
    ['192.169.0.1', 'public'],
    ['169.254.169.254', 'link-local'], // cloud metadata
    ['100.63.255.255', 'public'],
    ['100.64.0.0', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['100.128.0.0', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
  ];
  for (const [address, kind] of cases) t.equal(classifyAddress(address), kind, address);
});

t.test('IPv6', async (t) => {
  const cases: [string, string][] = [
    ['2001:4860:4860::8888', 'public'],
    ['2a03:2880:f003:c07:face:b00c::2', 'public'],
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['fbff::1', 'public'],
  ];
  for (const [address, kind] of cases) t.equal(classifyAddress(address), kind, address);
});

t.test('IPv6 addresses that carry an IPv4 address are classified by it', async (t) => {
  const cases: [string, string][] = [
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:10.1.2.3', 'private'],
    ['::ffff:a01:203', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:100.64.1.1', 'carrier-grade NAT'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:8.8.8.8', 'public'],
    ['0:0:0:0:0:ffff:c0a8:0101', 'private'],
    ['64:ff9b::10.0.0.1', 'private'], // NAT64
    ['64:ff9b::8.8.8.8', 'public'],
    ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
    ['2002:0808:0808::1', 'public'],
    ['::127.0.0.1', 'loopback'], // IPv4-compatible (deprecated)
  ];
  for (const [address, kind] of cases) t.equal(classifyAddress(address), kind, address);
});

t.test('not an IP address', async (t) => {
  for (const text of ['', 'localhost', 'live.twitch.tv', '256.0.0.1', '1.2.3', '::g', '[::1]']) {
    t.equal(classifyAddress(text), null, JSON.stringify(text));
  }
});
