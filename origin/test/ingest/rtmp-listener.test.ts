import net from 'node:net';
import t from 'tap';
import { pino } from 'pino';
import type { FlvTag, IncomingPublish } from '../../src/ingest/flv-tag-source.js';
import { readRtmpIngestLimits } from '../../src/ingest/rtmp-ingest-settings.js';
import { RtmpListener } from '../../src/ingest/rtmp-listener.js';
import { publishFile, testAsset } from '../../../test-support/ffmpeg.js';
import { RawRtmpClient } from '../../../test-support/raw-rtmp-client.js';
import { waitFor } from '../../../test-support/wait-for.js';

async function startListener() {
  const publishes: Array<{ publish: IncomingPublish; tags: FlvTag[]; closed: boolean }> = [];
  const listener = new RtmpListener({
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    limits: readRtmpIngestLimits({}),
    onPublish: (publish) => {
      const entry = { publish, tags: [] as FlvTag[], closed: false };
      publishes.push(entry);
      publish.setSink((tag) => entry.tags.push({ ...tag, body: tag.body.slice() }));
      publish.onClose(() => {
        entry.closed = true;
      });
    },
  });
  const port = await listener.listen();
  return { listener, port, publishes };
}

t.test('real ffmpeg publish: FLV tags reach the sink with sequence headers first', async (t) => {
  const { listener, port, publishes } = await startListener();
  t.teardown(() => listener.close());
  const publisher = publishFile(testAsset('h264-aac.flv'), `rtmp://127.0.0.1:${port}/stream/golive`);
  t.teardown(() => publisher.stop());
  const entry = await waitFor('a publish', () => publishes[0]);
  t.equal(entry.publish.app, 'stream');
  t.equal(entry.publish.requestedName, 'golive');
  t.equal(entry.publish.remoteAddress, '127.0.0.1');
  await waitFor('some video', () => entry.tags.filter((tag) => tag.type === 9).length > 30);
  const firstVideo = entry.tags.find((tag) => tag.type === 9);
  t.equal(firstVideo?.body[0], 0x17, 'keyframe + AVC');
  t.equal(firstVideo?.body[1], 0, 'AVC sequence header comes first');
  const firstAudio = entry.tags.find((tag) => tag.type === 8);
  t.equal(firstAudio?.body[0] !== undefined ? firstAudio.body[0] >> 4 : -1, 10, 'AAC');
  t.equal(firstAudio?.body[1], 0, 'AAC sequence header comes first');
  await publisher.stop();
  await waitFor('close', () => entry.closed);
  t.pass('the end of the publish is signalled');
});

t.test('a second publisher of a live name is refused while the first keeps going', async (t) => {
  const { listener, port, publishes } = await startListener();
  t.teardown(() => listener.close());
  // The first publisher loops, so that it is live for as long as the test takes on any machine.
  const first = publishFile(testAsset('h264-aac.flv'), `rtmp://127.0.0.1:${port}/stream/dup`, { loops: -1 });
  t.teardown(() => first.stop());
  await waitFor('first publish', () => publishes[0]);
  const second = publishFile(testAsset('h264-aac.flv'), `rtmp://127.0.0.1:${port}/stream/dup`);
  t.teardown(() => second.stop());
  // Had it been let in, ffmpeg would have sent the whole clip and exited 0.
  const code = await second.exited;
  t.not(code, 0, `the second ffmpeg was disconnected (exit code ${code})`);
  t.equal(publishes.length, 1, 'only one publish was handed on');
  const before = publishes[0]!.tags.length;
  await waitFor('more media from the first publisher', () => publishes[0]!.tags.length > before, { timeoutMs: 60_000 });
  t.pass('the first publisher still delivers media');
  t.notOk(publishes[0]!.closed);
});

t.test('garbage on one connection closes it and does not disturb a live publish', async (t) => {
  const { listener, port, publishes } = await startListener();
  t.teardown(() => listener.close());
  const publisher = publishFile(testAsset('h264-aac.flv'), `rtmp://127.0.0.1:${port}/stream/steady`, { loops: -1 });
  t.teardown(() => publisher.stop());
  const entry = await waitFor('publish', () => publishes[0]);
  // A valid C0+C1 handshake start followed by a chunk stream of nonsense.
  const socket = net.connect(port, '127.0.0.1');
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.on('error', () => undefined);
  socket.resume();
  socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 7)]));
  await new Promise((r) => setTimeout(r, 100));
  socket.write(Buffer.alloc(1536, 1));
  for (let i = 0; i < 50; i += 1) socket.write(Buffer.from([0x03, 0xff, 0xff, 0xff, 0x00, 0x00, 0x10, 0x14, 0xde, 0xad, 0xbe, 0xef]));
  socket.end();
  await closed;
  const before = entry.tags.length;
  await waitFor('more media from the live publish', () => entry.tags.length > before, { timeoutMs: 60_000 });
  t.pass('the other publish still delivers media');
  t.notOk(entry.closed);
});

t.test("a large message's buffer is let go once it is handed on; small messages keep theirs", async (t) => {
  const { listener, port, publishes } = await startListener();
  t.teardown(() => listener.close());
  const client = await RawRtmpClient.connect(port);
  t.teardown(() => client.destroy());
  await client.connectApp('stream');
  await client.publish('big');
  const entry = await waitFor('the publish', () => publishes[0]);
  await client.sendVideo(0, 300_000, { keyframe: true });
  await waitFor('the keyframe handed on', () => entry.tags.some((tag) => tag.body.length === 300_000));
  t.ok(listener.chunkStateBytes < 64 * 1024, `a 300 KB keyframe leaves ${listener.chunkStateBytes} bytes of chunk state, not its buffer`);
  for (let i = 1; i <= 5; i += 1) await client.sendVideo(i * 33, 20_000);
  await waitFor('five inter frames', () => entry.tags.filter((tag) => tag.body.length === 20_000).length === 5);
  t.ok(listener.chunkStateBytes >= 20_000, `a 20 KB frame's buffer is kept for the next ones (${listener.chunkStateBytes} bytes)`);
  await client.sendVideo(200, 300_000, { keyframe: true });
  await waitFor('the second keyframe', () => entry.tags.filter((tag) => tag.body.length === 300_000).length === 2);
  t.same(entry.tags.at(-1)!.body.subarray(0, 2), Uint8Array.from([0x17, 1]), 'a keyframe after the buffer went arrives whole');
  client.destroy();
  await waitFor('close', () => entry.closed);
  t.equal(listener.chunkStateBytes, 0, 'a closed connection holds nothing');
});
