import t from 'tap';
import { addressGroup, ConnectionLimits } from '../../src/ingest/connection-limits.js';

t.test('IPv4 addresses count one by one, IPv6 ones per /64', async (t) => {
  t.equal(addressGroup('203.0.113.7'), '203.0.113.7');
  t.equal(addressGroup('::ffff:203.0.113.7'), '203.0.113.7', 'IPv4-mapped is the IPv4 address');
  t.equal(addressGroup('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  t.equal(addressGroup('2001:db8:1:2::9'), '2001:db8:1:2::/64', 'the same /64, compressed');
  t.equal(addressGroup('2001:DB8:0001:0002::1'), '2001:db8:1:2::/64', 'case and leading zeros do not matter');
  t.equal(addressGroup('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(addressGroup('::1'), '0:0:0:0::/64');
  t.equal(addressGroup('fe80::1%eth0'), 'fe80:0:0:0::/64', 'the zone is dropped');
  t.equal(addressGroup('64:ff9b::192.0.2.1'), '64:ff9b:0:0::/64', 'an embedded IPv4 address takes two groups');
  t.not(addressGroup('2001:db8:1:2::1'), addressGroup('2001:db8:1:3::1'));
});

t.test('connections are counted per address group and in all', async (t) => {
  const limits = new ConnectionLimits({ maxConnections: 3, maxConnectionsPerAddress: 2 });
  t.equal(limits.tryOpen('2001:db8:1:2::1'), undefined);
  t.equal(limits.tryOpen('2001:db8:1:2::2'), undefined);
  t.equal(limits.tryOpen('2001:db8:1:2::3'), 'RTMP_MAX_CONNECTIONS_PER_ADDRESS', 'a third from the same /64');
  t.equal(limits.tryOpen('198.51.100.1'), undefined);
  t.equal(limits.tryOpen('198.51.100.2'), 'RTMP_MAX_CONNECTIONS', 'a fourth in all');
  t.equal(limits.open, 3);
  limits.close('2001:db8:1:2::2');
  t.equal(limits.tryOpen('2001:db8:1:2::3'), undefined, 'a closed connection frees its place');
  t.equal(limits.open, 3);
});
