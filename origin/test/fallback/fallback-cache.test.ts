import { createServer, type Server } from 'node:http';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { testAsset } from '../../../test-support/ffmpeg.js';
import { TEST_INTERNAL_TOKEN } from '../../../test-support/internal-token.js';
import { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import { FallbackCache } from '../../src/fallback/fallback-cache.js';
import { FallbackDownloadError, FallbackMediaError } from '../../src/fallback/fallback-errors.js';

interface FakeApi {
  url: string;
  requests: string[];
  authorizations: (string | undefined)[];
  /** What the next answers are: the body, the version header, whether to announce the length. */
  serve: { body: Uint8Array; status: number; version?: number; chunked?: boolean };
}

/** The API's fallback route as a real HTTP server in the test. */
async function fakeApi(t: Test, body: Uint8Array): Promise<FakeApi> {
  const api: FakeApi = { url: '', requests: [], authorizations: [], serve: { body, status: 200 } };
  const server: Server = createServer((request, response) => {
    api.requests.push(request.url ?? '');
    api.authorizations.push(request.headers.authorization);
    const { body: data, status, version, chunked } = api.serve;
    const headers: Record<string, string> = { 'content-type': 'video/x-flv' };
    if (!chunked) headers['content-length'] = String(data.length);
    if (version !== undefined) headers['x-fallback-version'] = String(version);
    response.writeHead(status, headers);
    // Slowly, in two parts, so that concurrent callers overlap with the download.
    response.write(data.subarray(0, data.length >> 1));
    setTimeout(() => response.end(data.subarray(data.length >> 1)), 30);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  api.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return api;
}

async function setup(t: Test, maxFileBytes = 10 * 1024 * 1024) {
  const clip = new Uint8Array(await readFile(testAsset('h264-aac.flv')));
  const api = await fakeApi(t, clip);
  const cachePath = join(t.testdir(), 'cache');
  const client = new InternalApiClient({ apiUrl: api.url, token: TEST_INTERNAL_TOKEN, timeoutMs: 30_000, connections: 2 });
  t.teardown(() => client.close());
  const cache = new FallbackCache({ cachePath, client, timeoutMs: 30_000, maxFileBytes, logger: pino({ level: 'silent' }) });
  await cache.prepare();
  return { api, cache, cachePath, clip };
}

const ref = (version: number) => ({ version });

t.test('downloads once per version, atomically, and forgets older versions', async (t) => {
  const { api, cache, cachePath, clip } = await setup(t);
  const [first, second] = await Promise.all([cache.file('abc12345', ref(3)), cache.file('abc12345', ref(3))]);
  t.equal(first, join(cachePath, 'abc12345.v3.flv'));
  t.equal(second, first, 'concurrent callers share the download');
  t.same(api.requests, ['/internal/streams/abc12345/fallback']);
  t.same(api.authorizations, [`Bearer ${TEST_INTERNAL_TOKEN}`], 'with the internal token');
  t.same(new Uint8Array(await readFile(first)), clip, 'the file is the one served');
  await cache.file('abc12345', ref(3));
  t.equal(api.requests.length, 1, 'a cached version is not downloaded again');

  await cache.file('abc12345', ref(4));
  t.equal(api.requests.length, 2);
  t.same(await readdir(cachePath), ['abc12345.v4.flv'], 'the older version is removed, no temporary file is left');

  api.serve.version = 6;
  t.equal(await cache.file('abc12345', ref(5)), join(cachePath, 'abc12345.v6.flv'), 'named after the version the API says it sent');
  t.same(await readdir(cachePath), ['abc12345.v6.flv']);
});

t.test('refused downloads leave nothing behind', async (t) => {
  const { api, cache, cachePath, clip } = await setup(t, 100_000);
  api.serve = { body: new TextEncoder().encode('{"error":{}}'), status: 404 };
  await t.rejects(cache.file('abc12345', ref(1)), FallbackDownloadError, 'an error status');
  api.serve = { body: clip, status: 200 };
  await t.rejects(cache.file('abc12345', ref(1)), { name: 'FallbackDownloadError', message: /FALLBACK_CACHE_MAX_FILE_BYTES/ }, 'a length past the limit');
  api.serve = { body: clip, status: 200, chunked: true };
  await t.rejects(cache.file('abc12345', ref(1)), { name: 'FallbackDownloadError', message: /FALLBACK_CACHE_MAX_FILE_BYTES/ }, 'a body past the limit');
  t.same(await readdir(cachePath), []);
  await t.rejects(cache.file('../etc', ref(1)), RangeError, 'a stream name is checked before it becomes a path');
});

t.test('tags: the file read as FLV tags; a broken file is removed for a new download', async (t) => {
  const { api, cache, cachePath } = await setup(t);
  const tags = await cache.tags('abc12345', ref(1));
  t.ok(tags.filter((tag) => tag.type === 9).length > 100, `${tags.length} tags`);
  api.serve = { body: new TextEncoder().encode('not a video at all'), status: 200 };
  await t.rejects(cache.tags('abc12345', ref(2)), FallbackMediaError);
  t.same(await readdir(cachePath), [], 'the broken file is gone');
});

t.test('prepare removes downloads a previous run left half-done', async (t) => {
  const { cache, cachePath } = await setup(t);
  await writeFile(join(cachePath, 'abc12345.v1.flv.0badc0de.tmp'), 'partial');
  await writeFile(join(cachePath, 'abc12345.v1.flv'), 'kept');
  await cache.prepare();
  t.same(await readdir(cachePath), ['abc12345.v1.flv']);
});
