/**
 * FALLBACK_MAX_BYTES_PER_USER: the converted fallback videos of one user's streams together, on
 * a real redis-server with real ffmpeg. Past it: 413 LIVE_ERR_FALLBACK_QUOTA_EXCEEDED naming the
 * limit; a stream's own old video does not count against its replacement; two uploads finishing
 * at once cannot both pass at the limit.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { testAsset } from '../../test-support/ffmpeg.js';
import type { App } from '../src/app.js';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { ADMIN_TOKEN, startTestApi } from './fixtures/test-api.js';

const flv = await readFile(testAsset('h264-aac.flv'));

function upload(app: App, token: string, streamId: string) {
  return app.inject({
    method: 'PUT',
    url: `/v1/streams/${streamId}/fallback`,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'video/x-flv' },
    payload: flv,
  });
}

t.test('FALLBACK_MAX_BYTES_PER_USER', async (t) => {
  // What the clip converts to, measured on an API without the limit.
  const measuring = (await startTestApi(t)).app;
  const owner = await createUser(measuring, 'measure');
  const converted = (await upload(measuring, owner.token, (await createStream(measuring, owner.token)).id)).json().fallback.size_bytes as number;
  // Room for one converted clip, not two.
  const limit = Math.floor(converted * 1.5);

  const { app } = await startTestApi(t, { fallbackMaxBytesPerUser: limit });
  const alice = await createUser(app, 'alice');
  const [first, second, third] = [await createStream(app, alice.token), await createStream(app, alice.token), await createStream(app, alice.token)];

  t.equal((await upload(app, alice.token, first.id)).statusCode, 201);
  const over = await upload(app, alice.token, second.id);
  t.equal(over.statusCode, 413);
  t.same(over.json().error, {
    code: 'LIVE_ERR_FALLBACK_QUOTA_EXCEEDED',
    message: `this fallback video (${converted} bytes converted) and your others (${converted} bytes) would exceed FALLBACK_MAX_BYTES_PER_USER=${limit}`,
  });
  t.equal((await call(app, alice.token, 'GET', `/v1/streams/${second.id}/fallback`)).statusCode, 404, 'nothing stored');

  t.equal((await upload(app, alice.token, first.id)).statusCode, 200, "replacing a stream's video: its old one does not count");

  t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${first.id}/fallback`)).statusCode, 204);
  t.equal((await upload(app, alice.token, second.id)).statusCode, 201, 'deleting one frees its bytes');

  const bob = await createUser(app, 'bob');
  t.equal((await upload(app, bob.token, (await createStream(app, bob.token)).id)).statusCode, 201, 'per user: others are not affected');

  for (let i = 0; i < 2; i++) {
    const operator = await createStream(app, ADMIN_TOKEN);
    t.equal((await upload(app, ADMIN_TOKEN, operator.id)).statusCode, 201, 'the built-in admin is exempt');
  }

  t.test('a user already at the limit is refused before the body is read', async (t) => {
    const { app } = await startTestApi(t, { fallbackMaxBytesPerUser: converted });
    const carol = await createUser(app, 'carol');
    const [one, two] = [await createStream(app, carol.token), await createStream(app, carol.token)];
    t.equal((await upload(app, carol.token, one.id)).statusCode, 201);
    const refused = await upload(app, carol.token, two.id);
    t.equal(refused.statusCode, 413);
    t.same(refused.json().error, {
      code: 'LIVE_ERR_FALLBACK_QUOTA_EXCEEDED',
      message: `your fallback videos already take ${converted} bytes, the most FALLBACK_MAX_BYTES_PER_USER=${converted} allows; delete one first`,
    });
    t.equal(refused.headers.connection, 'close', 'the unread body is not left on a reused connection');
  });

  t.test('two uploads finishing at once: exactly one fits', async (t) => {
    const dave = await createUser(app, 'dave');
    const streams = [await createStream(app, dave.token), await createStream(app, dave.token)];
    const answers = await Promise.all(streams.map((stream) => upload(app, dave.token, stream.id)));
    t.same(answers.map((answer) => answer.statusCode).sort(), [201, 413]);
    const stored = await Promise.all(streams.map(async (stream) => (await call(app, dave.token, 'GET', `/v1/streams/${stream.id}/fallback`)).statusCode));
    t.same(stored.sort(), [200, 404]);
  });
});
