import t from 'tap';
import { call, createStream, createUser } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

t.test('require_signed_urls and allowed_origins on a real redis-server', async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'] });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');
  const route = (name: string) => internal.inject({ method: 'GET', url: `/streams/${name}` });
  const report = (name: string) => internal.inject({ method: 'POST', url: '/streams', payload: { name, manifest: 'index.m3u8', host: '127.0.0.1:8080' } });

  t.test('set at creation: stored lowercase without duplicates, in every stream body', async (t) => {
    const created = await call(app, alice.token, 'POST', '/v1/streams', {
      name: 'Members only',
      require_signed_urls: true,
      allowed_origins: ['Example.com', '*.CDN.test', 'app.example.com:8443', 'example.com'],
    });
    t.equal(created.statusCode, 201);
    const stream = created.json();
    t.equal(stream.require_signed_urls, true);
    t.same(stream.allowed_origins, ['example.com', '*.cdn.test', 'app.example.com:8443']);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json(), stream);
    const listed = (await call(app, alice.token, 'GET', '/v1/streams')).json().data;
    t.same(listed.find((one: { id: string }) => one.id === stream.id), stream);
  });

  t.test('PUT: the name alone keeps the playback settings; given ones replace them', async (t) => {
    const stream = (
      await call(app, alice.token, 'POST', '/v1/streams', { name: 'Show', require_signed_urls: true, allowed_origins: ['example.com'] })
    ).json();
    const renamed = (await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Show 2' })).json();
    t.match(renamed, { name: 'Show 2', require_signed_urls: true, allowed_origins: ['example.com'] });
    const opened = await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Show 2', require_signed_urls: false });
    t.match(opened.json(), { require_signed_urls: false, allowed_origins: ['example.com'] });
    const anywhere = await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Show 2', allowed_origins: [] });
    t.match(anywhere.json(), { require_signed_urls: false, allowed_origins: [] });
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json(), anywhere.json());

    const foreign = await call(app, bob.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Mine', require_signed_urls: true });
    t.equal(foreign.statusCode, 404, "another user's stream is not found");
    t.equal((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json().require_signed_urls, false, 'and unchanged');
  });

  t.test('invalid values: 400 naming the field and the value', async (t) => {
    const { id } = await createStream(app, alice.token);
    const cases: [object, string][] = [
      [
        { name: 'x', allowed_origins: ['example.com', 'https://example.com'] },
        'body.allowed_origins.1 must be a host (example.com, app.example.com:8443) or a wildcard (*.example.com), without scheme or path; got "https://example.com"',
      ],
      [
        { name: 'x', allowed_origins: ['a.*.example.com'] },
        'body.allowed_origins.0 must be a host (example.com, app.example.com:8443) or a wildcard (*.example.com), without scheme or path; got "a.*.example.com"',
      ],
      [{ name: 'x', allowed_origins: [42] }, 'body.allowed_origins.0 must be string; got 42'],
      [{ name: 'x', allowed_origins: 'example.com' }, 'body.allowed_origins must be array; got "example.com"'],
      [{ name: 'x', require_signed_urls: 'yes' }, 'body.require_signed_urls must be boolean; got "yes"'],
    ];
    for (const [body, message] of cases) {
      for (const [method, url] of [['POST', '/v1/streams'], ['PUT', `/v1/streams/${id}`]] as const) {
        const answer = await call(app, alice.token, method, url, body);
        t.equal(answer.statusCode, 400, `${method} ${JSON.stringify(body)}`);
        t.same(answer.json().error, { code: 'LIVE_ERR_VALIDATION', message });
      }
    }
    const tooMany = Array.from({ length: 33 }, (_, index) => `site${index}.example.com`);
    const answer = await call(app, alice.token, 'POST', '/v1/streams', { name: 'x', allowed_origins: tooMany });
    t.equal(answer.statusCode, 400);
    t.match(answer.json().error.message, /^body\.allowed_origins must NOT have more than 32 items; got \["site0/);
    const thirtyTwo = await call(app, alice.token, 'POST', '/v1/streams', { name: 'x', allowed_origins: tooMany.slice(0, 32) });
    t.equal(thirtyTwo.statusCode, 201, '32 are allowed');
  });

  t.test("the internal route answer carries the stream's playback policy", async (t) => {
    const stream = (
      await call(app, alice.token, 'POST', '/v1/streams', { name: 'Live', require_signed_urls: true, allowed_origins: ['*.example.com'] })
    ).json();
    await report(stream.id);
    const answer = await route(stream.id);
    t.equal(answer.statusCode, 200);
    t.same(answer.json().playback, { require_signed_urls: true, allowed_origins: ['*.example.com'] });

    await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Live', require_signed_urls: false, allowed_origins: [] });
    t.same((await route(stream.id)).json().playback, { require_signed_urls: false, allowed_origins: [] }, 'a change shows at once');
  });

  t.test('an open name plays openly', async (t) => {
    await report('golive');
    const answer = await route('golive');
    t.equal(answer.statusCode, 200);
    t.same(answer.json().playback, { require_signed_urls: false, allowed_origins: [] });
  });

  t.test('a stream stored before these settings plays openly', async (t) => {
    const { id } = await createStream(app, alice.token);
    await app.redis.hdel(`stream:${id}`, 'require_signed_urls', 'allowed_origins');
    t.match((await call(app, alice.token, 'GET', `/v1/streams/${id}`)).json(), { require_signed_urls: false, allowed_origins: [] });
    await report(id);
    t.same((await route(id)).json().playback, { require_signed_urls: false, allowed_origins: [] });
  });

  t.test('a deleted stream is not live, even while an origin still reports it', async (t) => {
    const { id } = await createStream(app, alice.token);
    t.equal((await call(app, alice.token, 'DELETE', `/v1/streams/${id}`)).statusCode, 204);
    // The origin's discovery reports the stream once more before its publisher is cut.
    await report(id);
    const answer = await route(id);
    t.equal(answer.statusCode, 404);
    t.equal(
      answer.json().error.code,
      'LIVE_ERR_STREAM_NOT_FOUND',
      'the code the edge reads as "no such stream": it drops the route at once, even one it keeps through a sudden "not live"',
    );
  });
});
