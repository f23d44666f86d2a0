import t, { type Test } from 'tap';
import { FakeRouteLookup } from './fixtures/fake-route-lookup.js';
import { request, startEdge, type TestEdge } from './fixtures/edge.js';
import { startGatedOrigin, type GatedOrigin } from './fixtures/gated-origin.js';
import { scrape, sumOf } from './fixtures/metrics.js';

const SEGMENT = Buffer.alloc(1_000, 0x47);
const PLAYLIST = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n7.ts\n';

async function setup(t: Test): Promise<{ origin: GatedOrigin; edge: TestEdge }> {
  const origin = await startGatedOrigin();
  t.teardown(() => origin.close());
  origin.serve('/golive/index.m3u8', PLAYLIST, { contentType: 'application/vnd.apple.mpegurl' });
  origin.serve('/golive/7.ts', SEGMENT);
  origin.serve('/golive/broken.ts', 'no', { status: 500 });
  const lookup = new FakeRouteLookup();
  lookup.register('golive', origin.host);
  const edge = await startEdge(lookup);
  t.teardown(() => edge.close());
  return { origin, edge };
}

t.test('GET /metrics: Prometheus text whose counters follow the traffic', async (t) => {
  const { edge } = await setup(t);
  const before = await request(edge.port, '/metrics');
  t.equal(before.status, 200);
  t.match(before.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  t.equal(sumOf(before.body.toString(), 'edge_requests_total'), 0);
  t.match(before.body.toString(), /^process_cpu_user_seconds_total /m, 'with the process metrics');

  for (let i = 0; i < 3; i++) await request(edge.port, '/golive/7.ts');
  await request(edge.port, '/golive/index.m3u8');
  await request(edge.port, '/golive/missing.ts');
  await request(edge.port, '/golive/broken.ts');
  await request(edge.port, '/nobody/index.m3u8');
  await request(edge.port, '/health');

  const text = await scrape(edge.app);
  const sample = (name: string, labels: Record<string, string> = {}) => sumOf(text, name, labels);
  t.equal(sample('edge_requests_total', { kind: 'segment', status: '200' }), 3);
  t.equal(sample('edge_requests_total', { kind: 'segment', status: '404' }), 1);
  t.equal(sample('edge_requests_total', { kind: 'segment', status: '502' }), 1);
  t.equal(sample('edge_requests_total', { kind: 'playlist', status: '200' }), 1);
  t.equal(sample('edge_requests_total', { kind: 'playlist', status: '204' }), 1, 'a stream that is not live');
  t.equal(sample('edge_requests_total', { kind: 'other', status: '200' }), 2, '/health and the first /metrics');

  t.equal(sample('edge_cache_requests_total', { kind: 'segment', result: 'miss' }), 3);
  t.equal(sample('edge_cache_requests_total', { kind: 'segment', result: 'hit' }), 2);
  t.equal(sample('edge_cache_requests_total', { kind: 'playlist', result: 'miss' }), 1);
  t.equal(sample('edge_served_bytes_total', { kind: 'segment' }), 3 * SEGMENT.length);
  t.equal(sample('edge_served_bytes_total', { kind: 'playlist' }), PLAYLIST.length);

  t.equal(sample('edge_origin_fetches_total', { kind: 'segment', outcome: 'ok' }), 1);
  t.equal(sample('edge_origin_fetches_total', { kind: 'segment', outcome: 'not_found' }), 1);
  t.equal(sample('edge_origin_fetches_total', { kind: 'segment', outcome: 'bad_status' }), 1);
  t.equal(sample('edge_origin_fetches_total', { kind: 'playlist', outcome: 'ok' }), 1);
  t.equal(sample('edge_origin_fetch_duration_seconds_count', { kind: 'segment', outcome: 'ok' }), 1);
  t.equal(sample('edge_origin_bytes_total', { kind: 'segment' }), SEGMENT.length, 'bodies of 200 answers');

  t.equal(sample('edge_cache_bytes'), SEGMENT.length + PLAYLIST.length);
  t.equal(sample('edge_cache_entries', { type: 'media' }), 2);
  t.equal(sample('edge_cache_entries', { type: 'not_found' }), 1);
  t.equal(sample('edge_origin_fetches_in_flight'), 0);
});

t.test('each app counts apart', async (t) => {
  const first = await setup(t);
  const second = await setup(t);
  await request(first.edge.port, '/golive/7.ts');
  t.equal(sumOf(await scrape(first.edge.app), 'edge_requests_total', { kind: 'segment' }), 1);
  t.equal(sumOf(await scrape(second.edge.app), 'edge_requests_total', { kind: 'segment' }), 0);
});
