/**
 * LL-HLS on the origin with its real collaborators in the process: test clips' FLV tags go
 * through the stream packager (MPEG-TS to an HLS folder, CMAF to memory), and the origin's HTTP
 * app serves both; ffprobe/ffmpeg read what it serves. Blocking requests are checked by order:
 * the tags that complete a part are pushed only after the request is seen waiting.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { ffprobe, testAsset } from '../../../test-support/ffmpeg.js';
import { ManualTimers } from '../../../test-support/manual-timers.js';
import { waitFor } from '../../../test-support/wait-for.js';
import { HlsDirectoryWriter } from '../../src/hls/hls-directory-writer.js';
import { buildHttpApp } from '../../src/http/app.js';
import type { FlvTag } from '../../src/ingest/flv-tag-source.js';
import { readFlvTags } from '../../src/media/flv-file-reader.js';
import { LowLatencyStreams } from '../../src/packaging/low-latency-streams.js';
import { SegmentDelayStats } from '../../src/packaging/segment-delay-stats.js';
import { readSegmentSettings } from '../../src/packaging/segment-settings.js';
import { StreamPackager } from '../../src/packaging/stream-packager.js';
import { SpillFolder } from '../../src/packaging/segment-spill.js';
import { find, readBoxes, readTfhd } from '../cmaf/fixtures/box-reader.js';
import { descendants, readXml } from '../dash/fixtures/xml-reader.js';

const execFileAsync = promisify(execFile);
const STREAM = 'llstream1';
const segments = readSegmentSettings({});

async function setup(t: Test, options: { lowLatency?: boolean; spill?: boolean } = {}) {
  const hlsPath = t.testdir();
  const hls = new HlsDirectoryWriter({ hlsPath, targetDurationSeconds: 2, onBackgroundError: (error) => t.fail(error.message) });
  const reloadTimers = new ManualTimers();
  const lowLatency =
    options.lowLatency === false
      ? undefined
      : new LowLatencyStreams({
          partTargetSeconds: 0.334,
          segments,
          windowSeconds: 60,
          graceSeconds: 60,
          cleanupAfterEndSeconds: 300,
          schedule: new ManualTimers().schedule,
          reloadSchedule: reloadTimers.schedule,
          spill: options.spill ? (stream) => new SpillFolder(join(hlsPath, stream)) : undefined,
          // The same names on two origins, to compare them.
          firstMediaSequence: () => 1_000_000,
          onSpillError: (_stream, error) => t.fail(String(error)),
        });
  const packager = new StreamPackager({
    streamName: STREAM,
    segments,
    writer: hls.startStream(STREAM),
    logger: pino({ level: 'silent' }),
    delays: new SegmentDelayStats(),
    lowLatency: lowLatency?.start(STREAM),
    onRejected: (reason) => t.fail(reason),
  });
  const app = buildHttpApp({ hlsPath, lowLatency });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || !address) throw new Error('not listening');
  const base = `http://127.0.0.1:${address.port}/${STREAM}/`;
  t.teardown(async () => {
    lowLatency?.close();
    await app.close();
    await hls.close();
  });
  const get = (file: string, init?: RequestInit) => fetch(base + file, init);
  const bytes = async (file: string) => {
    const response = await get(file);
    if (response.status !== 200) throw new Error(`${file}: ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  return { hlsPath, packager, lowLatency, output: lowLatency?.get(STREAM), reloadTimers, get, bytes, base };
}

/** Pushes the clip's tags into the packager, one at a time, until `done()`. */
function feeder(packager: StreamPackager, tags: readonly FlvTag[]): (done: () => boolean) => void {
  let next = 0;
  return (done) => {
    while (!done()) {
      if (next >= tags.length) throw new Error('the clip ran out');
      packager.push(tags[next++]!);
    }
  };
}

async function clip(name: string): Promise<FlvTag[]> {
  return [...readFlvTags(new Uint8Array(await readFile(testAsset(name))))];
}

function parseMedia(text: string): HLS.types.MediaPlaylist {
  const playlist = HLS.parse(text);
  if (playlist.isMasterPlaylist) throw new Error('not a media playlist');
  return playlist as HLS.types.MediaPlaylist;
}

/** Decodes a file with ffmpeg and returns its error output (empty when it decodes cleanly). */
async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
  return stderr.trim();
}

for (const [asset, kinds] of [
  ['h264-bframes-aac.flv', ['video', 'audio']],
  ['aac-only.flv', ['audio']],
] as const) {
  t.test(`${asset}: ll.m3u8 with parts beside index.m3u8; init + parts and init + segment decode`, async (t) => {
    const { packager, get, bytes, hlsPath } = await setup(t);
    const tags = await clip(asset);
    const half = Math.floor(tags.length / 2);
    for (const tag of tags.slice(0, half)) packager.push(tag);

    const live = await get('ll.m3u8');
    t.equal(live.status, 200);
    t.equal(live.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    t.equal(live.headers.get('cache-control'), 'no-cache');
    const text = await live.text();
    t.match(text, /#EXT-X-PART-INF:PART-TARGET=0\.334\n/);
    t.match(text, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1\.002,CAN-SKIP-UNTIL=12/);
    t.match(text, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="\d+\.\d+\.m4s"/);
    t.match(text, /#EXT-X-MAP:URI="init-\d+\.mp4"/);
    const playlist = parseMedia(text);
    t.ok(playlist.segments.length >= 1, 'segments');
    t.ok(playlist.lowLatencyCompatibility?.canBlockReload, 'hls-parser reads SERVER-CONTROL');
    t.equal(playlist.partTargetDuration, 0.334);

    for (const tag of tags.slice(half)) packager.push(tag);
    await packager.end();
    const ended = parseMedia(await (await get('ll.m3u8')).text());
    t.ok(ended.endlist, 'the end of the stream is ENDLIST');
    // Parts are listed for the segments near the live edge (here, the end).
    const first = ended.segments.find((segment) => (segment.parts?.length ?? 0) >= 5);
    t.ok(first, 'a whole segment listed with its parts');
    const parts = first!.parts!;
    t.ok(parts.every((part) => part.duration! <= 0.334), 'no part longer than PART-TARGET');
    t.ok(parts[0]!.independent, 'the first part is independent');

    const initUri = (first!.map ?? ended.segments[0]!.map)!.uri;
    const initResponse = await get(initUri);
    t.equal(initResponse.headers.get('content-type'), 'video/mp4');
    t.equal(initResponse.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const init = new Uint8Array(await initResponse.arrayBuffer());
    const partBytes = await Promise.all(parts.map((part) => bytes(part.uri)));
    const partResponse = await get(parts[0]!.uri);
    t.equal(partResponse.headers.get('content-type'), 'video/iso.segment');
    t.equal(partResponse.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const segment = await bytes(first!.uri);
    t.same(Buffer.from(segment), Buffer.concat(partBytes), 'a segment is its parts back to back');

    const dir = join(hlsPath, 'decoded');
    await mkdir(dir);
    for (const [name, media] of [
      ['parts.mp4', Buffer.concat([init, ...partBytes])],
      ['segment.mp4', Buffer.concat([init, segment])],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, media);
      t.equal(await decodeErrors(file), '', `${name} decodes without errors`);
      const probed = await ffprobe(file);
      t.same(probed.streams.map((s) => s.codec_type).sort(), [...kinds].sort(), `${name}: its tracks`);
      t.ok(probed.packets.length > 0, `${name}: packets`);
    }

    // The MPEG-TS playlist and its segments are there as before.
    const index = parseMedia(await (await get('index.m3u8')).text());
    t.ok(index.segments.length >= 1 && index.endlist);
    t.equal(await decodeErrors(join(hlsPath, STREAM, index.segments[0]!.uri)), '', 'TS segments decode');
    t.equal((await get('1.m4s')).status, 404, 'a segment that never was: 404');
    t.match(await (await get('1.m4s')).json(), { error: { code: 'LIVE_ERR_MEDIA_NOT_FOUND' } });
  });
}

t.test('blocking reload: the request for the next part is answered once it is listed, with it', async (t) => {
  const { packager, get, output } = await setup(t);
  const tags = await clip('h264-aac.flv');
  const pushUntil = feeder(packager, tags);
  pushUntil(() => output!.playlist.openPartCount >= 2);
  const hint = output!.playlist.preloadHint!;
  const query = `_HLS_msn=${hint.mediaSequenceNumber}&_HLS_part=${hint.partIndex}`;

  let answered = false;
  const blocked = get(`ll.m3u8?${query}`).then(async (response) => {
    answered = true;
    return { status: response.status, cacheControl: response.headers.get('cache-control'), text: await response.text() };
  });
  const hinted = get(hint.uri).then(async (response) => ({ status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) }));
  await waitFor('both requests held', () => output!.waiters.size + output!.partFollowerCount === 2);
  t.notOk(answered, 'held while the part does not exist');

  pushUntil(() => output!.playlist.openPartCount > hint.partIndex || output!.playlist.nextMediaSequence > hint.mediaSequenceNumber);
  const answer = await blocked;
  t.equal(answer.status, 200);
  t.equal(answer.cacheControl, 'public, max-age=1');
  t.match(answer.text, `#EXT-X-PART:DURATION=`);
  t.ok(answer.text.includes(`URI="${hint.uri}"`), 'the playlist returned lists the part');
  const part = await hinted;
  t.equal(part.status, 200, 'the hinted part, asked for before it existed');
  t.same(Buffer.from(part.bytes), Buffer.concat(output!.file(hint.uri)!), 'its chunks, back to back');

  const last = output!.playlist.nextMediaSequence;
  const tooFar = await get(`ll.m3u8?_HLS_msn=${last + 3}`);
  t.equal(tooFar.status, 400, 'too far ahead');
  t.match(await tooFar.json(), { error: { code: 'LIVE_ERR_DELIVERY_DIRECTIVE', message: /segments past the last one/ } });
  for (const malformed of ['_HLS_msn=abc', '_HLS_part=1', '_HLS_msn=1&_HLS_msn=2', '_HLS_msn=-1']) {
    const response = await get(`ll.m3u8?${malformed}`);
    t.equal(response.status, 400, malformed);
    t.equal(response.headers.get('content-type'), 'application/json; charset=utf-8');
    t.match(await response.json(), { error: { code: 'LIVE_ERR_DELIVERY_DIRECTIVE', message: String } }, malformed);
  }
  const delta = await (await get(`ll.m3u8?_HLS_skip=YES`)).text();
  t.ok(parseMedia(delta), 'a delta update parses');
});

t.test('the hinted part is sent chunk by chunk while it is made, and is then the stored part', async (t) => {
  const { packager, get, output } = await setup(t);
  const tags = await clip('h264-aac.flv');
  const pushUntil = feeder(packager, tags);
  pushUntil(() => output!.playlist.openPartCount >= 1);
  const hint = output!.playlist.preloadHint!;
  // This test follows the part in process too, to know when its first chunk exists.
  const seen: string[] = [];
  const unfollow = output!.followHintedPart(hint.uri, (progress) => seen.push(progress.kind));
  t.teardown(() => unfollow?.());
  const response = get(hint.uri);
  await waitFor('the request follows the part', () => output!.partFollowerCount === 2);
  pushUntil(() => seen.includes('chunk'));
  t.ok(seen.every((kind) => kind === 'chunk'), 'chunks are made; the part is not complete');

  const answer = await response;
  t.equal(answer.status, 200, 'the answer starts before the part is complete');
  t.equal(answer.headers.get('content-length'), null, 'chunked: its length is not known yet');
  t.equal(answer.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  const reader = answer.body!.getReader();
  const first = await reader.read();
  t.equal(Buffer.from(first.value!.subarray(4, 8)).toString('latin1'), 'moof', 'the first chunk: a CMAF chunk');
  t.equal(output!.playlist.preloadHint!.uri, hint.uri, 'still hinted: not listed yet');

  pushUntil(() => output!.file(hint.uri) !== undefined);
  const received = [Buffer.from(first.value!)];
  for (let read = await reader.read(); !read.done; read = await reader.read()) received.push(Buffer.from(read.value));
  t.same(Buffer.concat(received), Buffer.concat(output!.file(hint.uri)!), 'the whole part, as stored and listed');
  t.ok(seen.length > 2 && seen.at(-1) === 'complete', `made in ${seen.length - 1} chunks`);
});

t.test('a hinted part the stream stops making: a truncated answer once started, 404 before', async (t) => {
  const { packager, get, output, lowLatency } = await setup(t);
  const tags = await clip('h264-aac.flv');
  const pushUntil = feeder(packager, tags);
  pushUntil(() => output!.playlist.openPartCount >= 1);
  const started = output!.playlist.preloadHint!;
  const seen: string[] = [];
  output!.followHintedPart(started.uri, (progress) => seen.push(progress.kind));
  const response = get(started.uri);
  await waitFor('the request follows the part', () => output!.partFollowerCount === 2);
  pushUntil(() => seen.includes('chunk'));
  const answer = await response;
  t.equal(answer.status, 200);

  // Another origin takes the stream over: the part in progress is never finished.
  packager.handOver();
  await t.rejects(answer.arrayBuffer(), 'the client sees a broken answer, never a short part');
  t.equal(output!.file(started.uri), undefined, 'nothing stored under its name');
  t.equal((await get(started.uri)).status, 404, 'asked again: not found, nothing will make it here');
  lowLatency!.close();
});

t.test('a HEAD for the hinted part waits for the whole part', async (t) => {
  const { packager, get, output } = await setup(t);
  const tags = await clip('h264-aac.flv');
  const pushUntil = feeder(packager, tags);
  pushUntil(() => output!.playlist.openPartCount >= 1);
  const hint = output!.playlist.preloadHint!;
  const head = get(hint.uri, { method: 'HEAD' });
  await waitFor('the HEAD follows the part', () => output!.partFollowerCount === 1);
  pushUntil(() => output!.file(hint.uri) !== undefined);
  const answer = await head;
  t.equal(answer.status, 200);
  t.equal(Number(answer.headers.get('content-length')), Buffer.concat(output!.file(hint.uri)!).length);
});

t.test('a client that goes away cancels its wait; an unanswered wait ends in 503', async (t) => {
  const { packager, get, output, reloadTimers } = await setup(t);
  for (const tag of (await clip('h264-aac.flv')).slice(0, 60)) packager.push(tag);
  const hint = output!.playlist.preloadHint!;
  const query = `ll.m3u8?_HLS_msn=${hint.mediaSequenceNumber}&_HLS_part=${hint.partIndex}`;

  const abort = new AbortController();
  const cancelled = get(query, { signal: abort.signal }).catch(() => 'aborted');
  await waitFor('the request held', () => output!.waiters.size === 1);
  abort.abort();
  t.equal(await cancelled, 'aborted');
  await waitFor('its wait cancelled', () => output!.waiters.size === 0);

  const timedOut = get(query);
  await waitFor('the request held', () => output!.waiters.size === 1);
  reloadTimers.advance(3 * 2000);
  const response = await timedOut;
  t.equal(response.status, 503);
  t.match(await response.json(), { error: { code: 'LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT' } });

  const partTimedOut = get(hint.uri);
  await waitFor('the hinted part request held', () => output!.partFollowerCount === 1);
  reloadTimers.advance(3 * 2000);
  const partAnswer = await partTimedOut;
  t.equal(partAnswer.status, 503, 'no chunk of the hinted part in three target durations');
  t.match(await partAnswer.json(), { error: { code: 'LIVE_ERR_PLAYLIST_UPDATE_TIMEOUT' } });
  t.equal(output!.partFollowerCount, 0, 'its follow ended');
});

t.test('HLS_LOW_LATENCY off: no ll.m3u8, the MPEG-TS playlist as ever', async (t) => {
  const { packager, get } = await setup(t, { lowLatency: false });
  for (const tag of await clip('h264-aac.flv')) packager.push(tag);
  await packager.end();
  t.equal((await get('ll.m3u8')).status, 404);
  t.equal((await get('init-1.mp4')).status, 400, 'LL names are not even valid file names');
  t.ok(parseMedia(await (await get('index.m3u8')).text()).endlist);
});

t.test('a new source (fallback, publisher back) is a discontinuity with a new init section; the end is ENDLIST', async (t) => {
  const { packager, get, output, lowLatency } = await setup(t);
  const tags = await clip('h264-aac.flv');
  for (const tag of tags.slice(0, Math.floor(tags.length / 2))) packager.push(tag);
  packager.switchSource();
  for (const tag of tags) packager.push(tag);
  const text = await (await get('ll.m3u8')).text();
  const maps = [...text.matchAll(/#EXT-X-MAP:URI="(init-\d+\.mp4)"/g)].map((match) => match[1]!);
  t.equal(maps.length, 2, 'one init section per source');
  t.equal(text.indexOf('#EXT-X-DISCONTINUITY\n') < text.indexOf(`#EXT-X-MAP:URI="${maps[1]}"`) && text.includes('#EXT-X-DISCONTINUITY\n'), true, 'EXT-X-DISCONTINUITY with the new map');
  for (const map of maps) t.equal((await get(map)).status, 200, `${map} served`);
  await packager.end();
  t.match(await (await get('ll.m3u8')).text(), /#EXT-X-ENDLIST\n$/);

  // A publisher back after the end continues the same playlist, after a discontinuity.
  t.equal(lowLatency!.start(STREAM), output, 'the same stream');
  const resumed = await (await get('ll.m3u8')).text();
  t.notMatch(resumed, /#EXT-X-ENDLIST/);
});

for (const [asset, kinds] of [
  ['h264-bframes-aac.flv', ['video', 'audio']],
  ['aac-only.flv', ['audio']],
] as const) {
  t.test(`${asset}: index.mpd over the same chunks; ffprobe reads it over HTTP and every track decodes`, async (t) => {
    const { packager, get, bytes, output, base } = await setup(t);
    t.equal((await get('index.mpd')).status, 404, 'no manifest before the first segment');
    const tags = await clip(asset);
    for (const tag of tags) packager.push(tag);

    const response = await get('index.mpd');
    t.equal(response.status, 200);
    t.equal(response.headers.get('content-type'), 'application/dash+xml');
    t.equal(response.headers.get('cache-control'), 'no-cache');
    const mpd = readXml(await response.text());
    t.match(mpd.attributes, { type: 'dynamic', minimumUpdatePeriod: 'PT2S' });
    const sets = descendants(mpd, 'AdaptationSet');
    t.same(sets.map((set) => set.attributes.contentType), kinds, 'one AdaptationSet per track');
    const ll = parseMedia(output!.playlist.render());
    const period = Number(descendants(mpd, 'Period')[0]!.attributes.id);
    for (const set of sets) {
      const template = descendants(set, 'SegmentTemplate')[0]!;
      const kind = set.attributes.contentType!;
      const number = Number(template.attributes.startNumber);
      t.equal(period + number, ll.mediaSequenceBase, `${kind}: $Number$ counts the LL-HLS media sequence numbers from the Period's first`);
      const init = await get(template.attributes.initialization!);
      t.equal(init.headers.get('content-type'), `${kind}/mp4`);
      t.equal(init.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const segment = await get(template.attributes.media!.replace('$Number$', String(number)));
      t.equal(segment.headers.get('content-type'), `${kind}/mp4`);
      t.equal(segment.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const trackId = kind === 'video' ? 1 : 2;
      const chunks = readBoxes(new Uint8Array(await segment.arrayBuffer())).filter((box) => box.type === 'moof');
      t.ok(chunks.length > 1, `${kind}: the segment is its parts' chunks`);
      t.ok(chunks.every((moof) => readTfhd(find(moof.children, 'traf', 'tfhd')).trackId === trackId), `${kind}: of this track only`);
    }
    const llSegment = await bytes(ll.segments[0]!.uri);
    t.ok(llSegment.length > 0);

    await packager.end();
    t.notMatch(await (await get('index.mpd')).text(), /minimumUpdatePeriod/, 'an ended stream: no more updates');
    // A dynamic manifest has no end for ffmpeg (it reloads it for more): read 3 s of it.
    const { stdout, stderr } = await execFileAsync(
      'ffmpeg',
      ['-v', 'error', '-i', `${base}index.mpd`, '-t', '3', '-f', 'framecrc', '-'],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
    );
    t.equal(stderr.trim(), '', 'ffmpeg reads the manifest and decodes without errors');
    const frames = stdout.split('\n').filter((line) => /^\d+,/.test(line));
    for (const [index, kind] of kinds.entries()) {
      t.ok(frames.filter((line) => line.startsWith(`${index},`)).length > 50, `${kind}: decoded frames`);
    }
      });
}

t.test('finished segments are served from disk, and so are their parts: the same bytes and headers as from memory', async (t) => {
  const memory = await setup(t);
  const disk = await setup(t, { spill: true });
  const tags = await clip('h264-aac.flv');
  for (const { packager } of [memory, disk]) {
    for (let run = 0; run < 3; run += 1) {
      packager.switchSource();
      for (const tag of tags) packager.push(tag);
    }
  }
  const output = disk.output!;
  const newest = output.playlist.segments.at(-1)!;
  await waitFor('the newest segment on disk', () => output.spilledFile(newest.uri));
  const oldest = output.playlist.segments[0]!;
  t.ok(output.spilledFile(oldest.uri), 'the oldest too');
  t.same(
    memory.output!.playlist.segments.map((segment) => segment.uri),
    output.playlist.segments.map((segment) => segment.uri),
    'both origins made the same segments',
  );
  for (const uri of [oldest.uri, oldest.parts[0]!.uri, newest.uri, newest.parts.at(-1)!.uri]) {
    t.notOk(output.file(uri), `${uri}: not in memory`);
    const fromMemory = await memory.get(uri);
    const fromDisk = await disk.get(uri);
    t.equal(fromDisk.status, 200, `${uri}: 200`);
    for (const header of ['content-type', 'cache-control', 'content-length']) {
      t.equal(fromDisk.headers.get(header), fromMemory.headers.get(header), `${uri}: ${header} as from memory`);
    }
    t.same(Buffer.from(await fromDisk.arrayBuffer()), Buffer.from(await fromMemory.arrayBuffer()), `${uri}: the same bytes`);
    const head = await disk.get(uri, { method: 'HEAD' });
    t.equal(head.headers.get('content-length'), fromMemory.headers.get('content-length'), `${uri}: HEAD, the length`);
  }

  const mpd = readXml((await (await disk.get('index.mpd')).text()));
  const first = descendants(mpd, 'Period')[0]!;
  const template = descendants(first, 'SegmentTemplate')[0]!;
  const name = template.attributes.media!.replace('$Number$', String(oldest.mediaSequenceNumber - Number(first.attributes.id)));
  t.ok(output.spilledFile(name), `${name}: the DASH segment on disk too`);
  const dashFromDisk = await disk.get(name);
  const dashFromMemory = await memory.get(name);
  t.equal(dashFromDisk.headers.get('content-type'), dashFromMemory.headers.get('content-type'));
  t.same(Buffer.from(await dashFromDisk.arrayBuffer()), Buffer.from(await dashFromMemory.arrayBuffer()), `${name}: the same bytes`);
});
