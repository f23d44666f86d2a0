/** The delivery on its own, behind a bare node:http server: each viewer's copy of a shared cached playlist. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { readEdgeCacheSettings } from '../src/cache-settings.js';
import { Coalescer } from '../src/coalesced-fetch.js';
import { EdgeMetrics } from '../src/edge-metrics.js';
import { MediaCache, type CachedMedia } from '../src/media-cache.js';
import { MediaDelivery } from '../src/media-delivery.js';
import { OriginClient } from '../src/origin-client.js';
import { request } from './fixtures/edge.js';
import { startGatedOrigin } from './fixtures/gated-origin.js';

const PLAYLIST = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n7.ts\n';

t.test('a rewritten playlist: the viewer gets its copy and its ETag, the cache keeps the origin\'s text', async (t) => {
  const origin = await startGatedOrigin();
  t.teardown(() => origin.close());
  origin.serve('/golive/index.m3u8', PLAYLIST, { contentType: 'application/vnd.apple.mpegurl' });

  const settings = readEdgeCacheSettings({});
  const client = new OriginClient({ timeoutMs: 10_000, connectTimeoutMs: 2_000, connections: 4, keepAliveMs: 1_000 });
  t.teardown(() => client.close());
  const cache = new MediaCache({ maxBytes: 1_000_000, maxObjectBytes: 100_000, notFoundMs: 1_000, notFoundEntries: 10 });
  const coalescer = new Coalescer<CachedMedia>({ fetcher: client, maxObjectBytes: 100_000, timeoutMs: 10_000 });
  const metrics = new EdgeMetrics({ cacheBytes: () => 0, cacheEntries: () => 0, notFoundEntries: () => 0, fetchesInFlight: () => 0, liveViewers: () => 0 });
  const delivery = new MediaDelivery({ cache, coalescer, metrics, settings, blockingTimeoutMs: 30_000, now: Date.now });

  const server = http.createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://edge').searchParams.get('token');
    const ifNoneMatch = req.headers['if-none-match'];
    void delivery.serve(
      {
        stream: 'golive',
        file: 'index.m3u8',
        originQuery: '',
        route: { origin: origin.host, ended: false, endsAtMs: undefined },
        method: 'GET',
        range: undefined,
        ifRange: undefined,
        ifNoneMatch,
        viewerLeft: () => new AbortController().signal,
        rewritePlaylist: token ? (text) => text.replace('7.ts', `7.ts?token=${token}`) : undefined,
      },
      res,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;

  const plain = await request(port, '/golive/index.m3u8');
  const a = await request(port, '/golive/index.m3u8?token=a');
  const b = await request(port, '/golive/index.m3u8?token=b');
  t.equal(plain.body.toString(), PLAYLIST);
  t.equal(a.body.toString(), PLAYLIST.replace('7.ts', '7.ts?token=a'));
  t.equal(b.body.toString(), PLAYLIST.replace('7.ts', '7.ts?token=b'));
  t.equal(a.headers['content-length'], String(a.body.length));
  t.equal(new Set([plain.headers.etag, a.headers.etag, b.headers.etag]).size, 3, 'one ETag per copy');
  t.equal(b.headers['x-cache'], 'HIT', 'one cached text for all');
  t.equal(origin.count('/golive/index.m3u8'), 1);

  const again = await request(port, '/golive/index.m3u8?token=a', 'GET', { 'if-none-match': String(a.headers.etag) });
  t.equal(again.status, 304);
});
