/**
 * Issue 8's ingest bounds against a real origin (with its API and Redis): what a client that is
 * not a well-behaved encoder can make the origin hold, and for how long.
 */
import t from 'tap';
import { rssBytes } from '../bench/proc-stats.js';
import { publishFile, testAsset, type Publisher } from '../test-support/ffmpeg.js';
import { RawRtmpClient } from '../test-support/raw-rtmp-client.js';
import { waitFor } from '../test-support/wait-for.js';
import { startPlatform, type Platform } from './platform-harness.js';
import { v1Request } from './v1-request.js';

const ADMIN_TOKEN = 'adm_e2e_ingest_bounds_token';
const MiB = 1024 * 1024;
/** Bounds small enough for a test to reach; the rest of the platform runs on defaults. */
const LIMITS = {
  RTMP_HANDSHAKE_TIMEOUT_MS: '15000',
  RTMP_IDLE_TIMEOUT_MS: '5000',
  RTMP_MAX_CONNECTIONS_PER_ADDRESS: '4',
  RTMP_MAX_CONNECTIONS: '6',
  RTMP_MAX_MESSAGE_BYTES: String(1 * MiB),
  RTMP_MAX_CHUNK_STATE_BYTES: String(2 * MiB),
  RTMP_MAX_TOTAL_CHUNK_STATE_BYTES: String(3 * MiB),
};
/** How often a connection that must stay open says something: well inside the idle timeout. */
const KEEPALIVE_MS = 500;

let platform: Platform;
let rtmpPort: number;

t.before(async () => {
  platform = await startPlatform({ ADMIN_TOKEN, ALLOWED_STREAMS: '', LOG_LEVEL: 'debug', ...LIMITS });
  rtmpPort = Number(new URL(platform.rtmpUrl).port);
});
t.teardown(() => platform?.stop());

interface LogLine {
  msg?: string;
  reason?: string;
  limit?: string;
  stream?: string;
}

function originLog(): LogLine[] {
  return platform
    .logs('origin')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });
}

const logged = (match: (line: LogLine) => boolean) => originLog().some(match);

async function streamKey(userName: string): Promise<{ id: string; key: string }> {
  const api = (token: string, method: string, path: string, body?: object) => v1Request(platform.apiUrl, token, method, path, body);
  const user = await api(ADMIN_TOKEN, 'POST', '/v1/users', { name: userName });
  const token = (await api(ADMIN_TOKEN, 'POST', `/v1/users/${user.json.id}/tokens`, { name: 'e2e' })).json.token as string;
  const stream = (await api(token, 'POST', '/v1/streams', { name: `${userName} live` })).json;
  const keys = (await api(token, 'GET', `/v1/streams/${stream.id}/stream-keys`)).json;
  const key = keys.data.find((k: { protocol: string }) => k.protocol === 'rtmp').stream_key as string;
  return { id: stream.id as string, key };
}

/** Sends a small command every KEEPALIVE_MS, so the idle timeout does not end the connection. */
function keepAlive(client: RawRtmpClient): void {
  const timer = setInterval(() => void client.command('createStream', 9, null), KEEPALIVE_MS);
  void client.closed.then(() => clearInterval(timer));
}

t.test('media sent before publish is not held: the RSS stays within +50 MB while 500 MB are sent', async (t) => {
  const pid = platform.pid('origin')!;
  const send = async (budget: number): Promise<number> => {
    let sent = 0;
    let timestamp = 0;
    while (sent < budget) {
      const client = await RawRtmpClient.connect(rtmpPort);
      await client.setChunkSize(65536);
      await client.connectApp('stream');
      // A keyframe first: in node-media-server's placeholder broadcast it starts a GOP cache.
      let keyframe = true;
      while (sent < budget && (await client.sendVideo((timestamp += 33), 256 * 1024, { keyframe }))) {
        sent += 256 * 1024;
        keyframe = false;
      }
      client.destroy();
    }
    return sent;
  };
  // Warm-up: the code paths are loaded and the first rejections logged before the baseline.
  await send(8 * MiB);
  const before = rssBytes(pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
  }, 50);
  const sent = await send(500 * MiB);
  clearInterval(sampler);
  peak = Math.max(peak, rssBytes(pid));
  t.ok(sent >= 500 * MiB, `${Math.round(sent / MiB)} MB sent before any publish`);
  t.ok(peak - before <= 50 * MiB, `origin RSS ${Math.round(before / MiB)} MB before, peak ${Math.round(peak / MiB)} MB (+50 MB allowed)`);
  await waitFor('the origin says why it closed those connections', () => logged((line) => /^media before publish/.test(line.reason ?? '')));
  t.pass('the origin says why it closed those connections');
});

t.test('a connection that does not publish in time is closed, however busy it is', async (t) => {
  const client = await RawRtmpClient.connect(rtmpPort);
  await client.connectApp('stream');
  keepAlive(client);
  await waitFor('the origin to close the connection', () => client.isClosed, { timeoutMs: 120_000 });
  await waitFor('the log names RTMP_HANDSHAKE_TIMEOUT_MS', () => logged((line) => line.limit === 'RTMP_HANDSHAKE_TIMEOUT_MS'));
  t.pass('the log names RTMP_HANDSHAKE_TIMEOUT_MS');

  const silent = await RawRtmpClient.open(rtmpPort);
  await waitFor('the origin to close a connection that never starts its handshake', () => silent.isClosed, { timeoutMs: 120_000 });
  t.pass('a connection that sends nothing is closed too');
});

t.test('a publisher that freezes is closed at the idle timeout and its key can publish again', async (t) => {
  const { id, key } = await streamKey('frozen');
  const frozen = await RawRtmpClient.connect(rtmpPort);
  t.teardown(() => frozen.destroy());
  await frozen.connectApp('stream');
  await frozen.publish(key);
  await waitFor('the frozen publish to be authorized', () => logged((line) => line.msg === 'publish started' && line.stream === id));
  // From here on it sends nothing, and holds the stream's publish lease while its connection is open.
  await waitFor('the origin to close the frozen publisher', () => frozen.isClosed, { timeoutMs: 120_000 });
  await waitFor('the log names RTMP_IDLE_TIMEOUT_MS', () => logged((line) => line.limit === 'RTMP_IDLE_TIMEOUT_MS'));
  t.pass('the log names RTMP_IDLE_TIMEOUT_MS');

  // The lease is released as the publish ends; a publisher trying at that very moment may still
  // be refused, as any encoder would be, and tries again.
  let publisher: Publisher | undefined;
  t.teardown(() => publisher?.stop());
  const playlist = await waitFor('the same key to publish again', async () => {
    if (!publisher || publisher.child.exitCode !== null) publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${key}`, { loops: -1 });
    const response = await fetch(`${platform.originUrl}/${id}/index.m3u8`);
    const text = response.ok ? await response.text() : '';
    return text.includes('.ts') ? text : undefined;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  t.match(playlist, /#EXTINF/, 'the stream is live again under its id');
});

t.test('a mistyped stream key never reaches the origin\'s logs, at any level', async (t) => {
  const { key } = await streamKey('typo');
  const secret = key.split('_')[2]!;
  // A character stream paths may not hold (node-media-server used to log the whole name for it), and a plain typo.
  const typos = [`${key.slice(0, -1)}!`, `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`];
  const refusals = () => originLog().filter((line) => line.msg === 'publish refused').length;
  const before = refusals();
  for (const typo of typos) {
    const publisher = publishFile(testAsset('h264-aac.flv'), `${platform.rtmpUrl}/${typo}`);
    t.teardown(() => publisher.stop());
    t.not(await publisher.exited, 0, 'the publish is refused');
  }
  await waitFor('both refusals to be logged', () => refusals() >= before + typos.length);
  const logs = platform.logs('origin');
  for (const typo of typos) t.notOk(logs.includes(typo), 'the mistyped key is not in the log');
  t.notOk(logs.includes(secret), "nor the key's secret part");
});

t.test('chunk-stream state is bounded per message, per connection and in all', async (t) => {
  /** A connection publishing a stream of its own (authorized: it stays open). */
  const publishing = async (name: string) => {
    const { id, key } = await streamKey(name);
    const client = await RawRtmpClient.connect(rtmpPort);
    t.teardown(() => client.destroy());
    await client.connectApp('stream');
    await client.publish(key);
    await waitFor(`${name}'s publish to be authorized`, () => logged((line) => line.msg === 'publish started' && line.stream === id));
    keepAlive(client);
    return client;
  };
  const closedFor = async (reason: RegExp, client: RawRtmpClient, send: () => Promise<unknown>) => {
    await send();
    await waitFor(`the origin to close a connection for ${reason}`, () => client.isClosed, { timeoutMs: 120_000 });
    await waitFor(`the log says why: ${reason}`, () => logged((line) => reason.test(line.reason ?? '')));
    t.pass(`the log says why: ${reason}`);
  };
  const huge = await publishing('huge');
  await closedFor(/RTMP_MAX_MESSAGE_BYTES/, huge, () => huge.startMessage(4, 0xffffff));
  const many = await publishing('many');
  await closedFor(/RTMP_MAX_CHUNK_STREAMS/, many, async () => {
    for (let csid = 4; csid < 40; csid += 1) await many.startMessage(csid, 1024);
  });
  const greedy = await publishing('greedy');
  await closedFor(/RTMP_MAX_CHUNK_STATE_BYTES/, greedy, async () => {
    for (const csid of [4, 5, 6]) await greedy.startMessage(csid, 900 * 1024);
  });

  // Two connections would hold 3.6 MB between them, over 3 MB in all: the second is refused.
  const holder = await publishing('holder');
  for (const csid of [4, 5]) await holder.startMessage(csid, 900 * 1024);
  const latecomer = await publishing('latecomer');
  await closedFor(/RTMP_MAX_TOTAL_CHUNK_STATE_BYTES/, latecomer, async () => {
    for (const csid of [4, 5]) await latecomer.startMessage(csid, 900 * 1024);
  });
  t.notOk(holder.isClosed, 'the connection that took its share first keeps going');
});

t.test('connections are limited per address and in all', async (t) => {
  const open: RawRtmpClient[] = [];
  t.teardown(() => open.forEach((client) => client.destroy()));
  const accepted = async (localAddress: string) => {
    const client = await RawRtmpClient.connect(rtmpPort, { localAddress }).catch(() => undefined);
    if (!client) return false;
    open.push(client);
    keepAlive(client);
    return true;
  };
  for (let i = 0; i < 4; i += 1) t.ok(await accepted('127.0.0.1'), `connection ${i + 1} from 127.0.0.1 is accepted`);
  t.notOk(await accepted('127.0.0.1'), 'a fifth from 127.0.0.1 is refused (RTMP_MAX_CONNECTIONS_PER_ADDRESS=4)');
  t.ok(await accepted('127.0.0.2'), 'another address still gets in');
  t.ok(await accepted('127.0.0.2'), 'and again');
  t.notOk(await accepted('127.0.0.3'), 'a seventh connection in all is refused (RTMP_MAX_CONNECTIONS=6)');
  open.shift()?.destroy();
  await waitFor('a connection from 127.0.0.1 to be accepted once one of them closed', () => accepted('127.0.0.1'));
  await waitFor('refusals are logged', () => logged((line) => line.msg === 'RTMP connection refused: limit reached'));
  t.pass('refusals are logged');
});
