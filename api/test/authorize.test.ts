import t from 'tap';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

/** What nginx-rtmp's on_publish posts by default (application/x-www-form-urlencoded). */
function onPublishForm(name: string): string {
  return new URLSearchParams({
    call: 'publish',
    app: 'stream',
    name,
    type: 'live',
    addr: '127.0.0.1',
    clientid: '1',
    flashver: 'FMLE/3.0 (compatible; FMSc/1.0)',
    tcurl: 'rtmp://localhost:1935/stream',
  }).toString();
}

const postForm = (payload: string) => ({
  method: 'POST' as const,
  url: '/authorize',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  payload,
});

/** An origin's GET, with its own ids so that each call is its own publish session. */
const authorizeUrl = (name: string, session: string) =>
  `/authorize?${new URLSearchParams({ name, app: 'stream', addr: '127.0.0.1', origin_id: 'origin-1', session_id: session })}`;

const DENIED = {
  error: {
    code: 'LIVE_ERR_PUBLISH_DENIED',
    message: 'this stream key or name may not publish: it is unknown, revoked or not in ALLOWED_STREAMS',
  },
};

t.test('no open names by default: only managed keys publish', async (t) => {
  const { app, internal } = await startTestApi(t);
  const denied = await internal.inject(authorizeUrl('golive', 's1'));
  t.equal(denied.statusCode, 403);
  t.same(denied.json(), DENIED);
});

t.test('open names from ALLOWED_STREAMS', async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'] });

  t.test('GET allows a listed name with key generation 0', async (t) => {
    const response = await internal.inject(authorizeUrl('golive', 'open-get'));
    t.equal(response.statusCode, 200);
    t.same(response.json(), { allowed: true, name: 'golive', key_generation: 0, recording: { mode: 'off', timeout_seconds: 0 } });
    await internal.inject({ method: 'DELETE', url: '/ingests/origin-1/publishes/open-get?stream=golive' });
  });

  t.test('GET denies another name with 403 LIVE_ERR_PUBLISH_DENIED, without echoing it', async (t) => {
    const response = await internal.inject(authorizeUrl('intruder', 'open-denied'));
    t.equal(response.statusCode, 403);
    t.same(response.json(), DENIED);
  });

  t.test('missing or invalid name is 400 naming the field', async (t) => {
    const missing = await internal.inject('/authorize?app=stream');
    t.equal(missing.statusCode, 400);
    t.same(missing.json(), { error: { code: 'LIVE_ERR_VALIDATION', message: 'querystring.name is required' } });

    const invalid = await internal.inject('/authorize?name=go%2Flive');
    t.equal(invalid.statusCode, 400);
    t.match(invalid.json().error.message, /^querystring\.name must match pattern .*; got "go\/live"$/);

    const tooLong = await internal.inject(`/authorize?name=${'a'.repeat(129)}`);
    t.equal(tooLong.statusCode, 400);

    const twice = await internal.inject('/authorize?name=golive&name=other');
    t.equal(twice.statusCode, 400, 'a repeated name is not one name');
    t.match(twice.json().error.message, /^querystring\.name must be string; got \["golive","other"\]$/);

    const badSession = await internal.inject('/authorize?name=golive&session_id=a%20b');
    t.equal(badSession.statusCode, 400);
    t.match(badSession.json().error.message, /^querystring\.session_id must match pattern/);
  });

  t.test("POST with nginx-rtmp's on_publish form: 200 for an open name, 403 denied", async (t) => {
    const allowed = await internal.inject(postForm(onPublishForm('golive')));
    t.equal(allowed.statusCode, 200);
    t.same(allowed.json(), { allowed: true, name: 'golive', key_generation: 0, recording: { mode: 'off', timeout_seconds: 0 } });

    const denied = await internal.inject(postForm(onPublishForm('intruder')));
    t.equal(denied.statusCode, 403);
    t.equal(denied.json().error.code, 'LIVE_ERR_PUBLISH_DENIED');

    const missing = await internal.inject(postForm('call=publish&app=stream'));
    t.equal(missing.statusCode, 400);
    t.same(missing.json().error, { code: 'LIVE_ERR_VALIDATION', message: 'body.name is required' });
  });

  t.test('a second nginx-rtmp publisher on the same open name is refused while the lease lasts', async (t) => {
    const second = await internal.inject(postForm(onPublishForm('golive')));
    t.equal(second.statusCode, 409);
    t.equal(second.json().error.code, 'LIVE_ERR_ALREADY_PUBLISHING');
  });
});

t.test('ALLOWED_STREAMS "*" lets any valid name publish, but never a stream id or a key', async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['*'] });
  const byGet = await internal.inject(authorizeUrl('anything_at-all', 'any-1'));
  t.equal(byGet.statusCode, 200);
  t.same(byGet.json(), { allowed: true, name: 'anything_at-all', key_generation: 0, recording: { mode: 'off', timeout_seconds: 0 } });
  t.equal((await internal.inject(postForm(onPublishForm('another')))).statusCode, 200);
  t.equal((await internal.inject('/authorize?name=not%20valid')).statusCode, 400, 'names are still validated');

  const { token } = await createUser(app, 'owner');
  const stream = await createStream(app, token);
  t.equal((await internal.inject(authorizeUrl(stream.id, 'any-2'))).statusCode, 403, 'a stream id is not an open name');
  t.equal((await internal.inject(authorizeUrl('abcd1234', 'any-3'))).statusCode, 403, 'nor anything shaped like one');
  const fakeKey = `publish_${stream.id}_${'A'.repeat(24)}`;
  t.equal((await internal.inject(authorizeUrl(fakeKey, 'any-4'))).statusCode, 403, 'a wrong key is not an open name');
  t.equal((await internal.inject(authorizeUrl('publish_whatever', 'any-5'))).statusCode, 403, 'nor is a malformed key');
});

t.test('managed stream keys', async (t) => {
  const { app, internal } = await startTestApi(t);
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);

  t.test('GET answers with the public stream id and the key generation', async (t) => {
    const response = await internal.inject(authorizeUrl(stream.rtmpKey, 'managed-1'));
    t.equal(response.statusCode, 200);
    t.same(response.json(), { allowed: true, name: stream.id, key_generation: 1, recording: { mode: 'automatic', timeout_seconds: 0 } });
    await internal.inject({ method: 'DELETE', url: `/ingests/origin-1/publishes/managed-1?stream=${stream.id}` });
  });

  t.test('the SRT key (publish/<id>/<secret>) publishes the same stream under its own generation', async (t) => {
    const response = await internal.inject(authorizeUrl(stream.srtKey, 'managed-srt'));
    t.equal(response.statusCode, 200);
    t.same(response.json(), { allowed: true, name: stream.id, key_generation: 2, recording: { mode: 'automatic', timeout_seconds: 0 } });
    await internal.inject({ method: 'DELETE', url: `/ingests/origin-1/publishes/managed-srt?stream=${stream.id}` });
  });

  t.test('POST (nginx-rtmp) answers 302 with Location: the stream id', async (t) => {
    const response = await internal.inject(postForm(onPublishForm(stream.rtmpKey)));
    t.equal(response.statusCode, 302);
    t.equal(response.headers.location, stream.id);
    t.equal(response.body, '');
  });

  t.test('a wrong secret, an unknown stream or one protocol\'s secret in the other\'s key is refused without echoing the key', async (t) => {
    const secret = stream.rtmpKey.slice(-24);
    const srtSecret = stream.srtKey.slice(-24);
    const wrongSecret = stream.rtmpKey.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    const unknownStream = `publish_zzzzzzzz_${secret}`;
    const names = [wrongSecret, unknownStream, stream.rtmpKey.toUpperCase(), `publish/${stream.id}/${secret}`, `publish_${stream.id}_${srtSecret}`, `publish/zzzzzzzz/${srtSecret}`];
    for (const name of names) {
      const response = await internal.inject(authorizeUrl(name, 'managed-2'));
      t.equal(response.statusCode, 403, name.replace(/[A-Za-z0-9]{24}$/, '…'));
      t.same(response.json(), DENIED);
      t.notMatch(response.body, secret);
      t.notMatch(response.body, srtSecret);
    }
    const malformed = await internal.inject(`/authorize?name=${encodeURIComponent(`${stream.srtKey}/more`)}`);
    t.equal(malformed.statusCode, 400, 'neither a stream name nor an SRT key');
    t.match(malformed.json().error.message, /^querystring\.name must match pattern .*; got "\[redacted\]"$/, 'nor echoed');
  });

  t.test("the key of a deleted stream is refused", async (t) => {
    const gone = await createStream(app, token, 'Short-lived');
    t.equal((await call(app, token, 'DELETE', `/v1/streams/${gone.id}`)).statusCode, 204);
    t.equal((await internal.inject(authorizeUrl(gone.rtmpKey, 'managed-3'))).statusCode, 403);
  });
});
