import { mkdir, mkdtemp, rename, rm, unlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { createLogger } from '../../service-kit/src/logger.js';
import { waitFor } from '../../test-support/wait-for.js';
import { createDiscovery, type Discovery } from '../src/app.js';
import { TEST_INTERNAL_TOKEN } from '../../test-support/internal-token.js';
import { readDiscoverySettings } from '../src/settings.js';
import { FakeReporter } from './fake-reporter.js';

/**
 * The whole service on real files: chokidar over a temp HLS folder, manifests written the way the
 * origin and nginx-rtmp write them (temp file + rename), and an in-process fake of the API client.
 */

const logger = createLogger('discovery-test', process.env.LOG_LEVEL ?? 'silent');
// Latencies are printed as comments for a person to read; bench/ measures them.
/** For the tests of heartbeats. */
const HEARTBEAT_SECONDS = 0.5;
/**
 * For every other test: the longest the route TTL allows, longer than any stream lives there, so
 * counts of reports are exact even when a loaded machine makes a stream outlive a short heartbeat
 * (whose refresh is a legitimate second register).
 */
const QUIET_HEARTBEAT_SECONDS = 10;
const STALE_TARGET_DURATIONS = 2;

/** A playlist as nginx-rtmp writes it: sliding window of `segments`, target duration `td`. */
function playlist(firstSequence: number, { td = 2, segments = 3, ended = false } = {}): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-MEDIA-SEQUENCE:${firstSequence}`, `#EXT-X-TARGETDURATION:${td}`, ''];
  for (let n = firstSequence; n < firstSequence + segments; n++) lines.push(`#EXTINF:${td}.000,`, `${n}.ts`);
  if (ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

interface Harness {
  hlsPath: string;
  reporter: FakeReporter;
  discovery: Discovery;
  /** Writes the stream's manifest like the origin: temp file, then rename. Returns Date.now() at the rename. */
  publish(name: string, text: string, file?: string): Promise<number>;
}

async function startHarness(
  t: { teardown(fn: () => unknown): void },
  before?: (hlsPath: string) => Promise<void>,
  { heartbeatSeconds = QUIET_HEARTBEAT_SECONDS } = {},
): Promise<Harness> {
  const hlsPath = await mkdtemp(path.join(os.tmpdir(), 'discovery-hls-'));
  await before?.(hlsPath);
  const settings = readDiscoverySettings({
    HLS_PATH: hlsPath,
    INTERNAL_TOKEN: TEST_INTERNAL_TOKEN,
    HEARTBEAT_SECONDS: String(heartbeatSeconds),
    STALE_TARGET_DURATIONS: String(STALE_TARGET_DURATIONS),
    API_RETRY_INITIAL_MS: '20',
    API_RETRY_MAX_MS: '100',
  });
  const reporter = new FakeReporter();
  const discovery = createDiscovery(settings, { reporter, logger });
  await discovery.start();
  // stop() is idempotent, so a test may stop the service itself.
  t.teardown(async () => {
    await discovery.stop();
    await rm(hlsPath, { recursive: true, force: true });
  });
  return {
    hlsPath,
    reporter,
    discovery,
    async publish(name, text, file = 'index.m3u8') {
      const dir = path.join(hlsPath, name);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, `${file}.tmp`), text);
      const at = Date.now();
      await rename(path.join(dir, `${file}.tmp`), path.join(dir, file));
      return at;
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test('the first manifest write is registered at once (nginx-rtmp playlist)', async (t) => {
  const h = await startHarness(t);
  const dir = path.join(h.hlsPath, 'golive');
  await mkdir(dir);
  await writeFile(path.join(dir, '0.ts'), 'segment');
  await sleep(50); // the origin creates the folder on publish and writes the playlist later
  const nginxRtmp = '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TARGETDURATION:2\n\n#EXTINF:2.000,\n0.ts\n';
  const renamedAt = await h.publish('golive', nginxRtmp);
  const call = await waitFor('register golive', () => h.reporter.delivered('golive', 'register')[0]);
  t.comment(`register latency from rename: ${call.at - renamedAt} ms`);
  t.same({ name: call.name, manifest: call.manifest }, { name: 'golive', manifest: 'index.m3u8' });
  t.same(h.discovery.tracker.liveStreams(), ['golive']);
});

t.test('a stream in a brand-new folder is registered', async (t) => {
  const h = await startHarness(t);
  const renamedAt = await h.publish('fresh', playlist(0));
  const call = await waitFor('register fresh', () => h.reporter.delivered('fresh', 'register')[0]);
  t.comment(`register latency (folder and manifest created together): ${call.at - renamedAt} ms`);
  t.same(h.discovery.tracker.liveStreams(), ['fresh']);
});

t.test('manifests renamed into brand-new folders are registered, and their deletion is seen', async (t) => {
  // chokidar lists a new folder before watching it (paulmillr/chokidar#1471): a manifest renamed
  // in between is missed by chokidar in about one folder out of six here. The watcher reads it
  // on addDir and hands it to chokidar, so both its registration and its deletion are seen.
  const h = await startHarness(t);
  const registerLatencies: number[] = [];
  const withdrawLatencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const name = `new${i}`;
    const renamedAt = await h.publish(name, playlist(0));
    const registered = await waitFor(`register ${name}`, () => h.reporter.delivered(name, 'register')[0]);
    registerLatencies.push(registered.at - renamedAt);
    await sleep(80);
    const unlinkedAt = Date.now();
    await unlink(path.join(h.hlsPath, name, 'index.m3u8'));
    const withdrawn = await waitFor(`withdraw ${name}`, () => h.reporter.delivered(name, 'withdraw')[0]);
    withdrawLatencies.push(withdrawn.at - unlinkedAt);
  }
  t.comment(`register latencies: ${registerLatencies.join(' ')} ms`);
  t.comment(`withdraw latencies: ${withdrawLatencies.join(' ')} ms`);
  t.equal(h.reporter.delivered(undefined, 'register').length, 20, 'each registered once');
  t.equal(h.reporter.delivered(undefined, 'withdraw').length, 20, 'each withdrawn once');
});

t.test('temp files, segments and other names are ignored', async (t) => {
  const h = await startHarness(t);
  const dir = path.join(h.hlsPath, 'quiet');
  await mkdir(dir);
  await writeFile(path.join(dir, 'index.m3u8.tmp'), playlist(0));
  await writeFile(path.join(dir, 'index.m3u8.bak'), playlist(0));
  await writeFile(path.join(dir, 'other.m3u8'), playlist(0));
  await writeFile(path.join(dir, '0.ts'), 'segment');
  await writeFile(path.join(h.hlsPath, 'quiet.m3u8'), playlist(0));
  // A manifest written after them is reported: by then the watcher has seen the files above.
  await h.publish('marker', playlist(0));
  await waitFor('marker registered', () => h.reporter.delivered('marker', 'register').length === 1);
  t.same(h.reporter.calls.map((c) => `${c.op} ${c.name}`), ['register marker']);
});

t.test('a manifest that keeps changing is refreshed every heartbeat, not on every write', async (t) => {
  const h = await startHarness(t, undefined, { heartbeatSeconds: HEARTBEAT_SECONDS });
  let writes = 0;
  // Write every 100 ms until the first register and three heartbeats went out.
  while (h.reporter.delivered('busy', 'register').length < 4) {
    await h.publish('busy', playlist(writes++));
    await sleep(100);
  }
  const registers = h.reporter.delivered('busy', 'register');
  const gaps = registers.slice(1).map((call, i) => call.at - registers[i]!.at);
  t.comment(`${registers.length} registers for ${writes} writes, gaps ${gaps.join(', ')} ms`);
  // A heartbeat timer never fires early, so every gap is at least one heartbeat (1 ms clock slack).
  for (const gap of gaps) t.ok(gap >= HEARTBEAT_SECONDS * 1000 - 1, `gap ${gap} ms is a heartbeat`);
  t.ok(writes > registers.length, 'fewer reports than writes');
  t.same(h.reporter.delivered('busy', 'withdraw'), [], 'never withdrawn while changing');
  t.same(h.reporter.delivered('busy', 'end'), [], 'never ended while changing');
});

t.test('ENDLIST reports the end at once, kept for the playlist length; a reconnecting publisher is registered again', async (t) => {
  const h = await startHarness(t);
  await h.publish('show', playlist(0));
  await waitFor('register', () => h.reporter.delivered('show', 'register').length === 1);
  const endedAt = await h.publish('show', playlist(1, { ended: true }));
  const end = await waitFor('end', () => h.reporter.delivered('show', 'end')[0]);
  t.comment(`end latency after ENDLIST: ${end.at - endedAt} ms`);
  t.same({ manifest: end.manifest, graceSeconds: end.graceSeconds }, { manifest: 'index.m3u8', graceSeconds: 6 }, '3 segments of 2 s');
  t.same(h.discovery.tracker.liveStreams(), []);
  t.same(h.reporter.delivered('show', 'withdraw'), [], 'not withdrawn: viewers behind live still get the end');

  await h.publish('show', playlist(0));
  await waitFor('second register', () => h.reporter.delivered('show', 'register').length === 2);
  t.same(h.discovery.tracker.liveStreams(), ['show']);
  t.same(h.reporter.delivered('show').map((c) => c.op), ['register', 'end', 'register']);
});

t.test('an ENDLIST written right after the previous playlist is still seen', async (t) => {
  // An origin that unpublishes writes its last live playlist and the ENDLIST one back to back;
  // chokidar drops a change within 50 ms of the previous one, the trailing read catches it.
  const h = await startHarness(t);
  await h.publish('burst', playlist(0));
  await waitFor('register', () => h.reporter.delivered('burst', 'register').length === 1);
  await sleep(100);
  await h.publish('burst', playlist(1));
  const endedAt = await h.publish('burst', playlist(2, { ended: true }));
  const end = await waitFor('end', () => h.reporter.delivered('burst', 'end')[0]);
  t.comment(`end latency for a back-to-back ENDLIST: ${end.at - endedAt} ms`);
  t.same(h.discovery.tracker.liveStreams(), []);
});

t.test('an ABR stream: its multivariant index.m3u8 is live, ends and goes stale as its source.m3u8 does', async (t) => {
  const h = await startHarness(t, undefined, { heartbeatSeconds: HEARTBEAT_SECONDS });
  const master = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360\nsource.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=320x180\n180p.m3u8\n';
  await h.publish('ladder', playlist(0, { td: 1 }), 'source.m3u8');
  await h.publish('ladder', master);
  const registered = await waitFor('register', () => h.reporter.delivered('ladder', 'register')[0]);
  t.equal(registered.manifest, 'index.m3u8', 'viewers still play index.m3u8');
  // The master is written once; the source's playlist keeps the stream live.
  for (let sequence = 1; sequence <= 4; sequence++) {
    await sleep(400);
    await h.publish('ladder', playlist(sequence, { td: 1 }), 'source.m3u8');
  }
  t.same(h.reporter.delivered('ladder', 'end'), [], 'not stale while source.m3u8 changes, though index.m3u8 does not');
  await h.publish('ladder', playlist(5, { td: 1, ended: true }), 'source.m3u8');
  const end = await waitFor('end', () => h.reporter.delivered('ladder', 'end')[0]);
  t.same({ manifest: end.manifest, graceSeconds: end.graceSeconds }, { manifest: 'index.m3u8', graceSeconds: 3 }, "the source's ENDLIST ends the stream");
  t.same(h.discovery.tracker.liveStreams(), []);
});

t.test('deleting the manifest or the folder withdraws', async (t) => {
  const h = await startHarness(t);
  await h.publish('one', playlist(0));
  await h.publish('two', playlist(0));
  await waitFor('both registered', () => h.reporter.delivered(undefined, 'register').length === 2);

  const unlinkedAt = Date.now();
  await unlink(path.join(h.hlsPath, 'one', 'index.m3u8'));
  const one = await waitFor('withdraw one', () => h.reporter.delivered('one', 'withdraw')[0]);
  t.comment(`withdraw latency after deleting the manifest: ${one.at - unlinkedAt} ms (chokidar atomic: +100 ms)`);

  const removedAt = Date.now();
  await rm(path.join(h.hlsPath, 'two'), { recursive: true });
  const two = await waitFor('withdraw two', () => h.reporter.delivered('two', 'withdraw')[0]);
  t.comment(`withdraw latency after deleting the folder: ${two.at - removedAt} ms`);
  // Events for the deleted stream would have come before those of a stream published after it.
  await h.publish('marker', playlist(0));
  await waitFor('marker registered', () => h.reporter.delivered('marker', 'register').length === 1);
  t.same(h.reporter.delivered(undefined, 'withdraw').map((c) => c.name), ['one', 'two'], 'each withdrawn once');
});

t.test('a manifest that stops changing ends after STALE_TARGET_DURATIONS × target duration', async (t) => {
  const h = await startHarness(t, undefined, { heartbeatSeconds: HEARTBEAT_SECONDS });
  const writingAt = Date.now();
  await h.publish('frozen', playlist(0, { td: 1 }));
  const end = await waitFor('stale end', () => h.reporter.delivered('frozen', 'end')[0]);
  const after = end.at - writingAt;
  t.comment(`ended ${after} ms after the last write began (limit ${STALE_TARGET_DURATIONS} × 1 s)`);
  // Staleness runs from the file's mtime, stamped after `writingAt` by the kernel's coarse clock
  // (which may lag by a tick): never early.
  t.ok(after >= STALE_TARGET_DURATIONS * 1000 - 20, `not before the stale limit (${after} ms)`);
  t.equal(end.graceSeconds, 3, 'kept for its playlist length (3 segments of 1 s)');
  t.ok(h.reporter.delivered('frozen', 'register').length >= 2, 'heartbeats until then');

  await h.publish('frozen', playlist(1, { td: 1 }));
  await waitFor('registered again once it changes', () => h.discovery.tracker.liveStreams().length === 1);
  t.same(h.reporter.delivered('frozen').map((c) => c.op).filter((op) => op !== 'register'), ['end']);
  t.equal(h.reporter.delivered('frozen').at(-1)?.op, 'register');
});

t.test('at start-up, leftovers (ENDLIST or old mtime) are not reported, a fresh manifest is', async (t) => {
  const h = await startHarness(t, async (hlsPath) => {
    for (const name of ['crashed', 'finished', 'running']) await mkdir(path.join(hlsPath, name));
    await writeFile(path.join(hlsPath, 'crashed', 'index.m3u8'), playlist(7, { td: 1 }));
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(path.join(hlsPath, 'crashed', 'index.m3u8'), longAgo, longAgo);
    await writeFile(path.join(hlsPath, 'finished', 'index.m3u8'), playlist(7, { td: 1, ended: true }));
    await writeFile(path.join(hlsPath, 'running', 'index.m3u8'), playlist(7, { td: 1 }));
  });
  // start() resolved after the initial scan judged every leftover; a stream published later is
  // reported after anything the scan decided.
  await waitFor('running registered', () => h.reporter.delivered('running', 'register').length === 1);
  await h.publish('marker', playlist(0));
  await waitFor('marker registered', () => h.reporter.delivered('marker', 'register').length === 1);
  t.same(
    h.reporter.calls.map((c) => `${c.op} ${c.name}`),
    ['register running', 'register marker'],
    'only the fresh manifests',
  );
});

t.test('streams are re-reported once the API is back', async (t) => {
  const h = await startHarness(t);
  h.reporter.down = true;
  await h.publish('patient', playlist(0));
  await waitFor('retried while down', () => h.reporter.calls.length >= 2);
  t.equal(h.reporter.delivered().length, 0);
  const upAt = Date.now();
  h.reporter.down = false;
  // Keep the playlist changing, as a live origin does.
  await h.publish('patient', playlist(1));
  const call = await waitFor('re-registered', () => h.reporter.delivered('patient', 'register')[0]);
  t.comment(`re-reported ${call.at - upAt} ms after the API came back (retry cap 100 ms)`);
  t.ok(call.at >= upAt, 'after the API came back');
});

t.test('stop withdraws every live stream', async (t) => {
  const h = await startHarness(t);
  await h.publish('a', playlist(0));
  await h.publish('b', playlist(0));
  await h.publish('c', playlist(0, { ended: true }));
  await waitFor('a and b registered', () => h.reporter.delivered(undefined, 'register').length === 2);
  await h.discovery.stop();
  t.same(
    h.reporter.delivered(undefined, 'withdraw').map((c) => c.name).sort(),
    ['a', 'b'],
  );
  // A report would be handed to the reporter synchronously (outbox.submit sends at once).
  h.discovery.tracker.manifestWritten('d', { kind: 'live', targetDurationSeconds: 2, durationSeconds: 6 }, Date.now());
  t.equal(h.reporter.calls.filter((c) => c.name === 'd').length, 0, 'nothing reported after stop');
});
