/**
 * PullEgressProxy over real sockets on 127.0.0.1, with an address policy that allows the host
 * "127.0.0.1" and refuses "localhost" (both loopback here; the policy's own address checks are
 * network-policy's tests): a refused host is a 403 and nothing connects, an allowed one is
 * forwarded in origin form with `Connection: close` or tunnelled with CONNECT, and a malformed,
 * oversized or non-GET head is refused with a JSON error.
 */
import net from 'node:net';
import t, { type Test } from 'tap';
import { AddressRefusedError } from '../../../network-policy/src/address-policy.js';
import { createLogger } from '../../../service-kit/src/logger.js';
import { PullEgressProxy } from '../../src/pull/pull-egress-proxy.js';
import { forwardedHead, MAX_PROXY_HEAD_BYTES, parseProxyRequest, proxyHeadEnd } from '../../src/pull/proxy-request-head.js';

const policy = {
  resolve: async (host: string) => {
    if (host === '127.0.0.1') return ['127.0.0.1'];
    throw new AddressRefusedError(host, '127.0.0.1', 'loopback');
  },
};

/** A TCP server that records what each connection sent and answers with `reply` once it has a head. */
async function recordingServer(t: Test, reply: string): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  const server = net.createServer((socket) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (text.includes('\r\n\r\n') || text.startsWith('ping')) {
        received.push(text);
        socket.end(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => server.close());
  return { port: (server.address() as net.AddressInfo).port, received };
}

/** Sends `bytes` to the proxy and returns everything it answered, once it closed the connection. */
function exchange(proxyUrl: string, bytes: string | Buffer, then?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(new URL(proxyUrl).port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (then && answer.startsWith('HTTP/1.1 200 Connection established\r\n\r\n')) {
        socket.write(then);
        then = undefined;
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
  });
}

async function startProxy(t: Test): Promise<PullEgressProxy> {
  const proxy = await PullEgressProxy.start({ addressPolicy: policy, logger: createLogger('origin-test', 'silent') });
  t.teardown(() => proxy.close());
  return proxy;
}

t.test('a GET for an allowed host goes to it in origin form, one request per connection, proxy headers dropped', async (t) => {
  const server = await recordingServer(t, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const proxy = await startProxy(t);
  const answer = await exchange(
    proxy.url,
    `GET http://127.0.0.1:${server.port}/live/index.m3u8?token=x HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUser-Agent: Lavf\r\nProxy-Authorization: Basic eDp5\r\nConnection: keep-alive\r\n\r\n`,
  );
  t.equal(answer, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', "the server's answer, as it sent it");
  t.same(server.received, [`GET /live/index.m3u8?token=x HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUser-Agent: Lavf\r\nConnection: close\r\n\r\n`]);
  t.equal(proxy.refusal, undefined);
});

t.test('a refused host is a 403 naming why, nothing connects, and the refusal is kept for the pull', async (t) => {
  const server = await recordingServer(t, 'HTTP/1.1 200 OK\r\n\r\n');
  const proxy = await startProxy(t);
  const answer = await exchange(proxy.url, `GET http://localhost:${server.port}/secret HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  t.match(answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
  t.match(answer, /"error":"host \\"localhost\\" resolves to 127\.0\.0\.1, a loopback address"/);
  const tunnel = await exchange(proxy.url, `CONNECT localhost:${server.port} HTTP/1.1\r\nHost: localhost:${server.port}\r\n\r\n`);
  t.match(tunnel, /^HTTP\/1\.1 403 Forbidden\r\n/, 'CONNECT too');
  t.same(server.received, [], 'the server saw nothing');
  t.equal(proxy.refusal, 'host "localhost" resolves to 127.0.0.1, a loopback address');
});

t.test('CONNECT to an allowed host opens a tunnel: bytes go both ways as they are', async (t) => {
  const server = await recordingServer(t, 'pong');
  const proxy = await startProxy(t);
  const answer = await exchange(proxy.url, `CONNECT 127.0.0.1:${server.port} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`, 'ping');
  t.equal(answer, 'HTTP/1.1 200 Connection established\r\n\r\npong');
  t.same(server.received, ['ping']);
});

t.test('a server that is not listening is a 502', async (t) => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const proxy = await startProxy(t);
  t.match(await exchange(proxy.url, `GET http://127.0.0.1:${port}/ HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 502 Bad Gateway\r\n[\s\S]*could not connect to 127\.0\.0\.1 port \d+/);
});

t.test('bad heads are refused with a JSON error, and the proxy goes on serving', async (t) => {
  const server = await recordingServer(t, 'HTTP/1.1 204 No Content\r\n\r\n');
  const proxy = await startProxy(t);
  const cases: Array<[string | Buffer, RegExp]> = [
    ['POST http://127.0.0.1/ HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 405 Method Not Allowed\r\n[\s\S]*method POST is not proxied/],
    ['GET /relative HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*not an absolute URL/],
    ['GET ftp://127.0.0.1/x HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400 [\s\S]*scheme ftp: is not proxied/],
    ['GET http://127.0.0.1/ HTTP/1.1\r\nX: a\nInjected: b\r\n\r\n', /^HTTP\/1\.1 400 [\s\S]*bare LF/],
    ['CONNECT 127.0.0.1 HTTP/1.1\r\n\r\n', /^HTTP\/1\.1 400 [\s\S]*malformed host and port/],
    ['hello\r\n\r\n', /^HTTP\/1\.1 400 [\s\S]*malformed request line/],
    [Buffer.alloc(MAX_PROXY_HEAD_BYTES + 10, 'a'), /^HTTP\/1\.1 431 /],
  ];
  for (const [bytes, expected] of cases) t.match(await exchange(proxy.url, bytes), expected, String(bytes).slice(0, 40));
  t.match(await exchange(proxy.url, `GET http://127.0.0.1:${server.port}/ HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 204 /, 'then a good request is served');
});

t.test('heads: where they end, how they parse, what is forwarded', async (t) => {
  t.equal(proxyHeadEnd(Buffer.from('GET http://a/ HTTP/1.1\r\nHost: a\r\n')), -1, 'incomplete');
  t.equal(proxyHeadEnd(Buffer.from('GET http://a/ HTTP/1.1\r\n\r\nrest')), 26, 'the index after the blank line');
  t.throws(() => proxyHeadEnd(Buffer.alloc(MAX_PROXY_HEAD_BYTES, 'a')), /request head over 16384 bytes/, 'a head that does not end in time is too large');
  t.same(parseProxyRequest(Buffer.from('CONNECT [2001:db8::1]:443 HTTP/1.1\r\n\r\n')), { kind: 'connect', host: '2001:db8::1', port: 443 });
  const request = parseProxyRequest(Buffer.from('HEAD http://cdn.example/a/b.ts HTTP/1.0\r\nHost: cdn.example\r\nTE: trailers\r\n\r\n'));
  t.same(request, { kind: 'forward', host: 'cdn.example', port: 80, method: 'HEAD', path: '/a/b.ts', headers: [['Host', 'cdn.example'], ['TE', 'trailers']] });
  if (request.kind !== 'forward') throw new Error('not a forward');
  t.equal(forwardedHead(request).toString(), 'HEAD /a/b.ts HTTP/1.1\r\nHost: cdn.example\r\nConnection: close\r\n\r\n', 'hop-by-hop headers stay');
  t.throws(() => parseProxyRequest(Buffer.from('CONNECT a:70000 HTTP/1.1\r\n\r\n')), /malformed host and port/);
});
