/**
 * LL-HLS on the origin end to end: real ffmpeg publishes over RTMP, the real origin packages
 * CMAF beside MPEG-TS, and a client follows `/<stream>/ll.m3u8` on the origin the way an LL-HLS
 * player does (blocking reload for the next part, then that part), until ENDLIST. The parts it
 * collected, with their init section, must decode with ffmpeg; the TS playlist beside it is
 * served as before. Order and content only: no timing assertions.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import HLS from 'hls-parser';
import t, { type Test } from 'tap';
import { ffprobe, publishFile, testAsset } from '../test-support/ffmpeg.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';

const execFileAsync = promisify(execFile);
let platform: Platform;
let scratch: string;

t.before(async () => {
  platform = await startPlatform({ ALLOWED_STREAMS: 'll-bframes,ll-audio', HLS_LOW_LATENCY: 'on' });
  scratch = await mkdtemp(path.join(os.tmpdir(), 'livestack-llhls-'));
});
t.teardown(async () => {
  await platform?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function parseMedia(text: string): HLS.types.MediaPlaylist {
  return HLS.parse(text) as HLS.types.MediaPlaylist;
}

/** The URI of part `partIndex` of segment `msn` in a playlist, if it lists it. */
function listedPart(text: string, msn: number, partIndex: number): boolean {
  return text.includes(`URI="${msn}.${partIndex}.m4s"`);
}

/**
 * Follows ll.m3u8 on the origin like a player: asks for the hinted part with _HLS_msn/_HLS_part,
 * checks the answer lists it, downloads it; until ENDLIST. Returns the init sections and parts
 * in order.
 */
async function followParts(t: Test, stream: string) {
  const base = `${platform.originUrl}/${stream}/`;
  const first = await waitFor(`ll.m3u8 of ${stream}`, async () => {
    const response = await fetch(`${base}ll.m3u8`);
    return response.status === 200 ? response.text() : undefined;
  }, { timeoutMs: 60_000, intervalMs: 50 });
  t.match(first, /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES/);
  t.match(first, /#EXT-X-PART-INF:PART-TARGET=/);
  t.match(first, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI=/);
  t.ok(parseMedia(first), 'hls-parser reads it');

  const media: Array<{ uri: string; bytes: Buffer }> = [];
  const seen = new Set<string>();
  let text = first;
  let blockedAnswers = 0;
  for (;;) {
    const playlist = parseMedia(text);
    // Everything listed that we do not have yet, in order: an init section, then the parts that
    // use it (those of the segment in progress too, which have no EXTINF yet).
    let map: string | undefined;
    for (const line of text.split('\n')) {
      const uri = /^#EXT-X-(MAP|PART):.*URI="([^"]+)"/.exec(line);
      if (!uri) continue;
      if (uri[1] === 'MAP') {
        map = uri[2]!;
        continue;
      }
      const part = uri[2]!;
      if (seen.has(part)) continue;
      if (map && !seen.has(map)) {
        seen.add(map);
        media.push({ uri: map, bytes: Buffer.from(await (await fetch(base + map)).arrayBuffer()) });
      }
      seen.add(part);
      const response = await fetch(base + part);
      t.equal(response.status, 200, part);
      media.push({ uri: part, bytes: Buffer.from(await response.arrayBuffer()) });
    }
    if (playlist.endlist) break;
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="(\d+)\.(\d+)\.m4s"/.exec(text);
    if (!hint) throw new Error(`no preload hint in a live playlist:\n${text}`);
    const [msn, part] = [Number(hint[1]), Number(hint[2])];
    const response = await fetch(`${base}ll.m3u8?_HLS_msn=${msn}&_HLS_part=${part}`);
    t.equal(response.status, 200, `blocking request for ${msn}.${part}`);
    text = await response.text();
    // The answer holds the part asked for, or (at a segment's end) the next segment's first part, or ENDLIST.
    const holds = listedPart(text, msn, part) || listedPart(text, msn + 1, 0) || text.includes('#EXT-X-ENDLIST');
    t.ok(holds, `the answer to ${msn}.${part} lists it`);
    blockedAnswers += 1;
  }
  t.ok(blockedAnswers >= 5, `followed the stream by blocking requests (${blockedAnswers})`);
  return media;
}

async function decodeErrors(file: string): Promise<string> {
  const { stderr } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-']);
  return stderr.trim();
}

for (const [clip, stream, kinds] of [
  ['h264-bframes-aac.flv', 'll-bframes', ['audio', 'video']],
  ['aac-only.flv', 'll-audio', ['audio']],
] as const) {
  t.test(`${clip}: an LL-HLS client follows ll.m3u8 part by part; what it got decodes`, async (t) => {
    const publisher = publishFile(testAsset(clip), `${platform.rtmpUrl}/${stream}`);
    t.teardown(() => publisher.stop());
    const media = await followParts(t, stream);
    t.equal(await publisher.exited, 0, 'ffmpeg published the whole clip');
    const inits = media.filter((m) => m.uri.startsWith('init-'));
    t.equal(inits.length, 1, 'one init section for one publish');
    const file = path.join(scratch, `${stream}.mp4`);
    await writeFile(file, Buffer.concat(media.map((m) => m.bytes)));
    t.equal(await decodeErrors(file), '', 'init + every part decode without errors');
    const probed = await ffprobe(file);
    t.same(probed.streams.map((s) => s.codec_type).sort(), [...kinds]);
    if (kinds.length === 2) t.ok(probed.packets.some((p) => p.pts_time !== p.dts_time), 'B-frames: some pts != dts');

    // The MPEG-TS playlist is served beside it, ended too.
    const index = parseMedia(await (await fetch(`${platform.originUrl}/${stream}/index.m3u8`)).text());
    t.ok(index.endlist && index.segments.length >= 2 && index.segments.every((s) => s.uri.endsWith('.ts')));
    const ts = await fetch(`${platform.originUrl}/${stream}/${index.segments[0]!.uri}`);
    t.equal(ts.headers.get('content-type'), 'video/mp2t');
  });
}
