import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { IngestHeartbeat, type LivePublishes } from '../../src/control/ingest-heartbeat.js';
import type { LivePublishInfo } from '../../src/packaging/live-stream-registry.js';
import { waitFor } from '../../../test-support/wait-for.js';

interface Seen {
  method: string;
  url: string;
  body: Record<string, unknown> | undefined;
}

/** A real HTTP server standing in for the API's ingest routes. */
async function apiLike(t: Test, answer: (seen: Seen) => { status: number; body?: object }) {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
      seen.push(entry);
      const { status, body } = answer(entry);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body ? JSON.stringify(body) : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function fakeLive(publishes: LivePublishInfo[]) {
  const disconnected: string[] = [];
  const live: LivePublishes = {
    publishes: () => publishes,
    disconnect: (ids) => disconnected.push(...ids),
  };
  return { live, disconnected };
}

function heartbeat(apiUrl: string, live: LivePublishes) {
  return new IngestHeartbeat({
    apiUrl,
    originId: 'origin-a',
    description: { name: 'Local', region: 'local', priority: 1, urlTemplates: { rtmp: 'rtmp://localhost:1935/stream/{stream_key}' } },
    intervalMs: 100,
    timeoutMs: 1000,
    live,
    logger: pino({ level: 'silent' }),
  });
}

t.test('reports load and publishes, and cuts the sessions the API names', async (t) => {
  const api = await apiLike(t, () => ({ status: 200, body: { ttl_seconds: 10, disconnect: ['s2'] } }));
  const { live, disconnected } = fakeLive([
    { sessionId: 's1', stream: 'abc12345', keyGeneration: 0, bytesIn: 1000 },
    { sessionId: 's2', stream: 'def67890', keyGeneration: 2, bytesIn: 5000 },
  ]);
  const beat = heartbeat(api.url, live);
  beat.start();
  t.teardown(() => beat.stop());
  await waitFor('a disconnect', () => disconnected.length > 0);
  const first = api.seen[0]!;
  t.equal(first.method, 'PUT');
  t.equal(first.url, '/ingests/origin-a');
  t.match(first.body, {
    name: 'Local',
    region: 'local',
    priority: 1,
    url_templates: { rtmp: 'rtmp://localhost:1935/stream/{stream_key}' },
    load: { streams: 2, bandwidth_bps: Number },
    publishes: [
      { session_id: 's1', stream: 'abc12345', key_generation: 0 },
      { session_id: 's2', stream: 'def67890', key_generation: 2 },
    ],
  });
  t.same(disconnected, ['s2'], 'the session the API revoked is cut');
  await waitFor('more beats', () => api.seen.filter((s) => s.method === 'PUT').length >= 3);
  t.pass('beats keep coming');
});

t.test('keeps beating while the API fails, and leaves cleanly', async (t) => {
  let healthy = false;
  const api = await apiLike(t, () => (healthy ? { status: 200, body: { disconnect: [] } } : { status: 503, body: { error: { code: 'X' } } }));
  const { live } = fakeLive([]);
  const beat = heartbeat(api.url, live);
  beat.start();
  await waitFor('failed beats', () => api.seen.length >= 2);
  healthy = true;
  const before = api.seen.length;
  await waitFor('beats after recovery', () => api.seen.length > before + 1);
  await beat.stop();
  const last = api.seen[api.seen.length - 1]!;
  t.equal(last.method, 'DELETE');
  t.equal(last.url, '/ingests/origin-a', 'the origin says it is leaving');
  const count = api.seen.length;
  await new Promise((r) => setTimeout(r, 300));
  t.equal(api.seen.length, count, 'no beat after stop');
});

t.test('a publish that ends releases its lease at once', async (t) => {
  const api = await apiLike(t, () => ({ status: 204 }));
  const { live } = fakeLive([]);
  const beat = heartbeat(api.url, live);
  beat.publishEnded({ sessionId: 's9', stream: 'abc12345', keyGeneration: 0, bytesIn: 0 });
  await waitFor('the release', () => api.seen.find((s) => s.method === 'DELETE'));
  t.equal(api.seen[0]?.url, '/ingests/origin-a/publishes/s9?stream=abc12345');
});
