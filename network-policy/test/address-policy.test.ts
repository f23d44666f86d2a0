import t from 'tap';
import { AddressPolicy, AddressRefusedError, HostLookupError, type LookupAll } from '../src/address-policy.js';

/** A resolver inside the process: answers from a table and counts the questions. */
function tableLookup(table: Record<string, string[]>): LookupAll & { asked: string[] } {
  const asked: string[] = [];
  const lookup = async (host: string) => {
    asked.push(host);
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };
  return Object.assign(lookup, { asked });
}

t.test('a host is resolved once and every address is checked', async (t) => {
  const lookup = tableLookup({ 'cdn.example': ['8.8.8.8', '2001:4860:4860::8888'], 'mixed.example': ['8.8.8.8', '10.0.0.5'] });
  const policy = new AddressPolicy({ allowPrivate: false, lookup });
  t.same(await policy.resolve('cdn.example'), ['8.8.8.8', '2001:4860:4860::8888'], 'in the resolver order');
  await t.rejects(policy.resolve('mixed.example'), new AddressRefusedError('mixed.example', '10.0.0.5', 'private'), 'one private address is enough to refuse');
  t.same(lookup.asked, ['cdn.example', 'mixed.example']);
});

t.test('an IP address stands for itself: no lookup', async (t) => {
  const lookup = tableLookup({});
  const policy = new AddressPolicy({ allowPrivate: false, lookup });
  t.same(await policy.resolve('8.8.4.4'), ['8.8.4.4']);
  await t.rejects(policy.resolve('::ffff:0:127.0.0.1'), { code: 'ADDRESS_REFUSED', addressClass: 'loopback', message: 'host "::ffff:0:127.0.0.1" resolves to ::ffff:0:127.0.0.1, a loopback address' });
  await t.rejects(policy.resolve('198.18.0.1'), { code: 'ADDRESS_REFUSED', addressClass: 'benchmarking' });
  t.same(lookup.asked, []);
});

t.test('allowPrivate lets every address through, still resolved once', async (t) => {
  const lookup = tableLookup({ 'lab.local': ['192.168.1.20'] });
  const policy = new AddressPolicy({ allowPrivate: true, lookup });
  t.same(await policy.resolve('lab.local'), ['192.168.1.20']);
  t.same(await policy.resolve('127.0.0.1'), ['127.0.0.1']);
  t.same(lookup.asked, ['lab.local']);
});

t.test('a host that does not resolve, or not in time', async (t) => {
  const policy = new AddressPolicy({ allowPrivate: false, lookup: tableLookup({ 'empty.example': [] }) });
  await t.rejects(policy.resolve('nowhere.example'), new HostLookupError('nowhere.example', 'ENOTFOUND'));
  await t.rejects(policy.resolve('empty.example'), { code: 'HOST_LOOKUP_FAILED', reason: 'no addresses' });
  const hanging = new AddressPolicy({ allowPrivate: false, lookup: () => new Promise(() => undefined), lookupTimeoutMs: 50 });
  await t.rejects(hanging.resolve('slow.example'), { code: 'HOST_LOOKUP_FAILED', reason: 'ETIMEOUT' });
});

t.test('the system resolver: localhost and numeric host names end up on loopback', async (t) => {
  const policy = new AddressPolicy({ allowPrivate: false });
  await t.rejects(policy.resolve('localhost'), { code: 'ADDRESS_REFUSED', addressClass: 'loopback' });
  // getaddrinfo reads these as IPv4 addresses: only resolving them shows where they lead.
  await t.rejects(policy.resolve('2130706433'), { code: 'ADDRESS_REFUSED', address: '127.0.0.1', addressClass: 'loopback' });
  await t.rejects(policy.resolve('0177.0.0.1'), { code: 'ADDRESS_REFUSED', address: '127.0.0.1', addressClass: 'loopback' });
  const allowed = await new AddressPolicy({ allowPrivate: true }).resolve('localhost');
  t.ok(allowed.some((address) => address === '127.0.0.1' || address === '::1'), `localhost is ${allowed.join(', ')}`);
});
