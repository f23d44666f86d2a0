import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { Compile } from 'typebox/compile';
import { Heartbeat } from '../../../internal-api/src/ingest-contract.js';
import { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import { IngestHeartbeat, type LivePublishes } from '../../src/control/ingest-heartbeat.js';
import type { LivePublishInfo } from '../../src/packaging/live-stream-registry.js';
import { TEST_INTERNAL_TOKEN } from '../../../test-support/internal-token.js';
import { waitFor } from '../../../test-support/wait-for.js';

interface Seen {
  method: string;
  url: string;
  body: Record<string, unknown> | undefined;
  authorization: string | undefined;
}

interface Answer {
  status: number;
  body?: object;
  /** Holds the answer back this long. */
  delayMs?: number;
}

/** A real HTTP server standing in for the API's ingest routes. */
async function apiLike(t: Test, answer: (seen: Seen) => Answer) {
  const seen: Seen[] = [];
  /** Requests received and answered, in order: 'PUT received', 'PUT answered', … */
  const events: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
        authorization: req.headers.authorization,
      };
      seen.push(entry);
      events.push(`${entry.method} received`);
      const { status, body, delayMs } = answer(entry);
      const send = () => {
        events.push(`${entry.method} answered`);
        res.writeHead(status, { 'content-type': 'application/json' }).end(body ? JSON.stringify(body) : '');
      };
      if (delayMs === undefined) send();
      else setTimeout(send, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, events };
}

function fakeLive(publishes: LivePublishInfo[], waiting: string[] = []) {
  const disconnected: string[] = [];
  /** What the heartbeat did to the streams, in order. */
  const actions: string[] = [];
  /** Each beat starts by reading the live publishes. */
  const reads = { count: 0 };
  const live: LivePublishes = {
    publishes: () => {
      reads.count += 1;
      return publishes;
    },
    waiting: () => waiting,
    disconnect: (ids) => {
      disconnected.push(...ids);
      actions.push(`disconnect ${[...ids].join(',')}`);
    },
    endForGood: (streams) => actions.push(`end ${streams.join(',')}`),
    handedOver: (streams) => actions.push(`hand over ${streams.join(',')}`),
  };
  return { live, disconnected, reads, actions };
}

/** Resolves after any timer the heartbeat set before now (they are at most INTERVAL_MS): Node runs timers in expiry order. */
const afterAnyBeatTimer = () => new Promise((resolve) => setTimeout(resolve, INTERVAL_MS + 1));

const INTERVAL_MS = 100;

/** A publish whose packager has not decided its tracks yet. */
const NO_MEDIA = { tracks: undefined, videoFrames: { intervals: 0, spanMs: 0 } };

/** An answer to a heartbeat, in the contract's shape. */
const beatAnswer = (disconnect: string[] = [], ended: string[] = [], handedOver: string[] = []) => ({
  status: 200,
  body: { ttl_seconds: 10, disconnect, ended, handed_over: handedOver, restream: {} },
});

function heartbeat(t: Test, apiUrl: string, live: LivePublishes) {
  const client = new InternalApiClient({ apiUrl, token: TEST_INTERNAL_TOKEN, timeoutMs: 10_000, connections: 2 });
  t.teardown(() => client.close());
  return new IngestHeartbeat({
    client,
    originId: 'origin-a',
    description: { name: 'Local', region: 'local', priority: 1, urlTemplates: { rtmp: 'rtmp://localhost:1935/stream/{stream_key}' } },
    intervalMs: INTERVAL_MS,
    live,
    logger: pino({ level: 'silent' }),
  });
}

t.test('reports load and publishes, and cuts the sessions the API names', async (t) => {
  const api = await apiLike(t, (seen) => (seen.method === 'DELETE' ? { status: 204 } : beatAnswer(['s2'])));
  const { live, disconnected } = fakeLive([
    { sessionId: 's1', stream: 'abc12345', keyGeneration: 0, bytesIn: 1000, media: NO_MEDIA },
    { sessionId: 's2', stream: 'def67890', keyGeneration: 2, bytesIn: 5000, media: NO_MEDIA },
  ]);
  const beat = heartbeat(t, api.url, live);
  beat.start();
  t.teardown(() => beat.stop());
  await waitFor('a disconnect', () => disconnected.length > 0);
  const first = api.seen[0]!;
  t.equal(first.method, 'PUT');
  t.equal(first.url, '/ingests/origin-a');
  t.equal(first.authorization, `Bearer ${TEST_INTERNAL_TOKEN}`);
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

t.test("each publish carries its ingest: what arrived since the previous beat, and the packager's tracks", async (t) => {
  const api = await apiLike(t, (seen) => (seen.method === 'DELETE' ? { status: 204 } : beatAnswer()));
  const publish: LivePublishInfo = {
    sessionId: 's1',
    stream: 'abc12345',
    keyGeneration: 0,
    bytesIn: 0,
    media: {
      tracks: {
        video: { codec: 'avc1.64001f', width: 640, height: 360 },
        audio: { codec: 'mp4a.40.2', sampleRate: 48_000, channels: 2 },
      },
      videoFrames: { intervals: 0, spanMs: 0 },
    },
  };
  const { live } = fakeLive([publish]);
  // Every beat reads a publish that received another 25 kB and a second of 30 fps video.
  const read = live.publishes;
  live.publishes = () => {
    publish.bytesIn += 25_000;
    publish.media.videoFrames = { intervals: publish.media.videoFrames.intervals + 30, spanMs: publish.media.videoFrames.spanMs + 1000 };
    return read();
  };
  const beat = heartbeat(t, api.url, live);
  beat.start();
  t.teardown(() => beat.stop());
  await waitFor('two beats', () => api.seen.filter((s) => s.method === 'PUT').length >= 2);
  const [first, second] = api.seen.filter((s) => s.method === 'PUT').map((s) => s.body as Heartbeat);
  const valid = Compile(Heartbeat);
  t.ok(valid.Check(first) && valid.Check(second), 'the beats follow the contract');
  const video = { codec: 'avc1.64001f', width: 640, height: 360 };
  const audio = { codec: 'mp4a.40.2', sample_rate: 48_000, channels: 2 };
  t.match(first!.publishes[0]!.ingest, { video: { ...video, fps: null }, audio }, 'no frame rate before a second reading');
  t.match(second!.publishes[0]!.ingest, { video: { ...video, fps: 30 }, audio });
  for (const body of [first!, second!]) {
    const ingest = body.publishes[0]!.ingest!;
    t.ok(ingest.bitrate_bps > 0, 'bitrate from the bytes received');
    t.equal(body.load.bandwidth_bps, ingest.bitrate_bps, "the origin's load is its publishes' bitrates");
  }
});

t.test('reports the streams waiting without a publisher, and ends the deleted streams before cutting sessions', async (t) => {
  const api = await apiLike(t, (seen) => (seen.method === 'DELETE' ? { status: 204 } : beatAnswer(['s1'], ['abc12345', 'waits001'])));
  const { live, actions } = fakeLive([{ sessionId: 's1', stream: 'abc12345', keyGeneration: 1, bytesIn: 0, media: NO_MEDIA }], ['waits001']);
  const beat = heartbeat(t, api.url, live);
  beat.start();
  t.teardown(() => beat.stop());
  await waitFor('the answer acted upon', () => actions.length >= 2);
  t.match(api.seen[0]?.body, { publishes: [{ session_id: 's1', stream: 'abc12345' }], waiting: ['waits001'] });
  t.same(actions.slice(0, 2), ['end abc12345,waits001', 'disconnect s1'], 'a deleted stream ends with its publisher: no drop-out, no fallback');
});

t.test('lets go of the waiting streams whose publisher came back on another origin', async (t) => {
  const api = await apiLike(t, (seen) => (seen.method === 'DELETE' ? { status: 204 } : beatAnswer([], [], ['waits002'])));
  const { live, actions } = fakeLive([], ['waits001', 'waits002']);
  const beat = heartbeat(t, api.url, live);
  beat.start();
  t.teardown(() => beat.stop());
  await waitFor('the answer acted upon', () => actions.length >= 1);
  t.same(actions[0], 'hand over waits002');
});

t.test('keeps beating while the API fails, and leaves cleanly', async (t) => {
  let healthy = false;
  const api = await apiLike(t, (seen) => {
    if (!healthy) return { status: 503, body: { error: { code: 'LIVE_ERR_STORE_UNAVAILABLE', message: 'down' } } };
    return seen.method === 'DELETE' ? { status: 204 } : beatAnswer();
  });
  const { live, reads } = fakeLive([]);
  const beat = heartbeat(t, api.url, live);
  beat.start();
  await waitFor('failed beats', () => api.seen.length >= 2);
  healthy = true;
  const before = api.seen.length;
  await waitFor('beats after recovery', () => api.seen.length > before + 1);
  await beat.stop();
  const last = api.seen[api.seen.length - 1]!;
  t.equal(last.method, 'DELETE');
  t.equal(last.url, '/ingests/origin-a', 'the origin says it is leaving');
  const beats = reads.count;
  await afterAnyBeatTimer();
  t.equal(reads.count, beats, 'no beat after stop');
});

t.test('stop() lets the beat in flight finish first: leaving is the last thing the API hears', async (t) => {
  let stopping: Promise<void> | undefined;
  let puts = 0;
  const api = await apiLike(t, (seen) => {
    if (seen.method === 'DELETE') return { status: 204 };
    if (++puts !== 2) return beatAnswer();
    // The origin stops while this beat is still unanswered.
    stopping = beat.stop();
    return { ...beatAnswer(), delayMs: 100 };
  });
  const { live } = fakeLive([]);
  const beat = heartbeat(t, api.url, live);
  beat.start();
  await waitFor('stop() while a beat is in flight', () => stopping !== undefined);
  await stopping;
  t.same(api.events.slice(-4), ['PUT received', 'PUT answered', 'DELETE received', 'DELETE answered']);
  t.equal(api.events.filter((event) => event === 'PUT received').length, 2, 'no beat after it');
});

t.test('a publish that ends releases its lease at once', async (t) => {
  const api = await apiLike(t, () => ({ status: 204 }));
  const { live } = fakeLive([]);
  const beat = heartbeat(t, api.url, live);
  beat.publishEnded({ sessionId: 's9', stream: 'abc12345', keyGeneration: 0, bytesIn: 0, media: NO_MEDIA });
  await waitFor('the release', () => api.seen.find((s) => s.method === 'DELETE'));
  t.equal(api.seen[0]?.url, '/ingests/origin-a/publishes/s9?stream=abc12345');
});
