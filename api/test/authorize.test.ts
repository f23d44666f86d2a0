import t from 'tap';
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

t.test('authorize with the default allow-list', async (t) => {
  const { app } = await startTestApi(t, { allowedStreams: ['golive'] });

  t.test('GET allows a listed name', async (t) => {
    const response = await app.inject('/authorize?name=golive&app=stream&addr=127.0.0.1');
    t.equal(response.statusCode, 200);
    t.same(response.json(), { allowed: true, name: 'golive' });
  });

  t.test('GET denies another name with 403 LIVE_ERR_PUBLISH_DENIED', async (t) => {
    const response = await app.inject('/authorize?name=intruder&app=stream');
    t.equal(response.statusCode, 403);
    t.same(response.json(), {
      error: {
        code: 'LIVE_ERR_PUBLISH_DENIED',
        message: 'stream name "intruder" is not allowed to publish (see ALLOWED_STREAMS)',
      },
    });
  });

  t.test('missing or invalid name is 400 naming the field', async (t) => {
    const missing = await app.inject('/authorize?app=stream');
    t.equal(missing.statusCode, 400);
    t.same(missing.json(), { error: { code: 'LIVE_ERR_VALIDATION', message: 'querystring.name is required' } });

    const invalid = await app.inject('/authorize?name=go%2Flive');
    t.equal(invalid.statusCode, 400);
    t.match(invalid.json().error.message, /^querystring\.name must match pattern .*; got "go\/live"$/);

    const tooLong = await app.inject(`/authorize?name=${'a'.repeat(129)}`);
    t.equal(tooLong.statusCode, 400);

    const twice = await app.inject('/authorize?name=golive&name=other');
    t.equal(twice.statusCode, 400, 'a repeated name is not one name');
    t.match(twice.json().error.message, /^querystring\.name must be string; got \["golive","other"\]$/);
  });

  t.test("POST with nginx-rtmp's on_publish form gives the same answers", async (t) => {
    const allowed = await app.inject(postForm(onPublishForm('golive')));
    t.equal(allowed.statusCode, 200);
    t.same(allowed.json(), { allowed: true, name: 'golive' });

    const denied = await app.inject(postForm(onPublishForm('intruder')));
    t.equal(denied.statusCode, 403);
    t.equal(denied.json().error.code, 'LIVE_ERR_PUBLISH_DENIED');

    const missing = await app.inject(postForm('call=publish&app=stream'));
    t.equal(missing.statusCode, 400);
    t.same(missing.json().error, { code: 'LIVE_ERR_VALIDATION', message: 'body.name is required' });
  });

  t.test('POST with a JSON body works too', async (t) => {
    const response = await app.inject({ method: 'POST', url: '/authorize', payload: { name: 'golive' } });
    t.equal(response.statusCode, 200);
    t.same(response.json(), { allowed: true, name: 'golive' });
  });
});

t.test('ALLOWED_STREAMS "*" lets any valid name publish', async (t) => {
  const { app } = await startTestApi(t, { allowedStreams: ['*'] });
  const byGet = await app.inject('/authorize?name=anything_at-all');
  t.equal(byGet.statusCode, 200);
  t.same(byGet.json(), { allowed: true, name: 'anything_at-all' });

  const byPost = await app.inject(postForm(onPublishForm('another')));
  t.equal(byPost.statusCode, 200);

  const invalid = await app.inject('/authorize?name=not%20valid');
  t.equal(invalid.statusCode, 400, 'names are still validated');
});

t.test('a list of several names', async (t) => {
  const { app } = await startTestApi(t, { allowedStreams: ['one', 'two'] });
  t.equal((await app.inject('/authorize?name=one')).statusCode, 200);
  t.equal((await app.inject('/authorize?name=two')).statusCode, 200);
  t.equal((await app.inject('/authorize?name=golive')).statusCode, 403);
});
