import t from 'tap';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { loggerOptions } from '../../service-kit/src/logger.js';
import { waitFor } from '../../test-support/wait-for.js';
import { call, createStream, createUser, type Method } from './fixtures/api-client.js';
import { ADMIN_TOKEN, buildTestApp, startTestApi } from './fixtures/test-api.js';
import { originHeartbeat } from './fixtures/origin-heartbeat.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TARGET_FIELDS = ['created_at', 'enabled', 'id', 'name', 'platform', 'retry', 'status', 'stream_key', 'stream_url', 'updated_at'];

/** A stream key as platforms hand them out; random, so a test can search answers for it. */
function platformKey(prefix = 'live_106415581_'): string {
  return prefix + randomBytes(12).toString('hex');
}

t.test('restream targets on a real redis-server', async (t) => {
  const { app, internal, redis } = await startTestApi(t, { allowedStreams: ['golive'] });
  const alice = await createUser(app, 'alice');
  const bob = await createUser(app, 'bob');
  /** Every real key created in this test: none may appear in any /v1 answer. */
  const realKeys: string[] = [];
  const v1Bodies: string[] = [];
  const v1 = async (token: string, method: Method, url: string, payload?: object) => {
    const response = await call(app, token, method, url, payload);
    v1Bodies.push(response.body);
    return response;
  };
  const addTarget = async (streamId: string, payload: Record<string, unknown>, token = alice.token) => {
    if (typeof payload.stream_key === 'string') realKeys.push(payload.stream_key);
    return v1(token, 'POST', `/v1/streams/${streamId}/restream-targets`, payload);
  };

  t.test('well-known platforms need only a stream key; their URL comes from the settings', async (t) => {
    const stream = await createStream(app, alice.token);
    const expected = {
      twitch: ['Twitch', 'rtmp://live.twitch.tv/app'],
      youtube: ['YouTube', 'rtmp://a.rtmp.youtube.com/live2'],
      kick: ['Kick', 'rtmps://fa723fc1b171.global-contribute.live-video.net/app'],
      facebook: ['Facebook', 'rtmps://live-api-s.facebook.com:443/rtmp'],
    };
    for (const [platform, [name, url]] of Object.entries(expected)) {
      const key = platformKey();
      const created = await addTarget(stream.id, { platform, stream_key: key });
      t.equal(created.statusCode, 201, platform);
      const target = created.json();
      t.same(Object.keys(target).sort(), TARGET_FIELDS);
      t.match(target, {
        id: /^[a-z0-9]{8}$/,
        name,
        platform,
        stream_url: url,
        stream_key: `****${key.slice(-4)}`,
        enabled: true,
        retry: { attempts: 3, delay_s: 2 },
        status: null,
        created_at: ISO,
        updated_at: ISO,
      });
    }
    const list = await v1(alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`);
    t.equal(list.statusCode, 200);
    t.same(
      list.json().data.map((target: { platform: string }) => target.platform),
      ['twitch', 'youtube', 'kick', 'facebook'],
      'listed oldest first',
    );
  });

  t.test('name, enabled and retry may be given; a well-known platform may take its own ingest URL', async (t) => {
    const stream = await createStream(app, alice.token);
    const created = await addTarget(stream.id, {
      platform: 'twitch',
      stream_key: platformKey(),
      stream_url: 'rtmp://1.2.3.7/app',
      name: 'Twitch Frankfurt',
      enabled: false,
      retry: { attempts: 0, delay_s: 5 },
    });
    t.equal(created.statusCode, 201);
    t.match(created.json(), {
      name: 'Twitch Frankfurt',
      stream_url: 'rtmp://1.2.3.7/app',
      enabled: false,
      retry: { attempts: 0, delay_s: 5 },
    });
    const partialRetry = await addTarget(stream.id, { platform: 'youtube', stream_key: platformKey(), retry: { delay_s: 0.2 } });
    t.same(partialRetry.json().retry, { attempts: 3, delay_s: 0.2 });
  });

  t.test('custom targets need an rtmp:// or rtmps:// URL with a public host', async (t) => {
    const stream = await createStream(app, alice.token);
    const created = await addTarget(stream.id, { platform: 'custom', stream_url: 'rtmps://1.2.3.5:443/live2', stream_key: 'f0gh-mycg-xxxx-a1b2' });
    t.equal(created.statusCode, 201);
    t.match(created.json(), { name: '1.2.3.5', platform: 'custom', stream_url: 'rtmps://1.2.3.5:443/live2', stream_key: '****a1b2' });
    const short = await addTarget(stream.id, { platform: 'custom', stream_url: 'rtmp://[2001:4860::5]/app', stream_key: 'short' });
    t.equal(short.json().stream_key, '****', 'nothing of a short key');

    const cases: [Record<string, unknown>, RegExp][] = [
      [{ platform: 'custom', stream_key: 'k' }, /^body\.stream_url is required for platform "custom"$/],
      [{ platform: 'custom', stream_url: 'http://1.2.3.5/app', stream_key: 'k' }, /^body\.stream_url must start with rtmp:\/\/ or rtmps:\/\/; got "http:\/\/1\.2\.3\.5\/…"$/],
      [{ platform: 'custom', stream_url: 'rtmp://1.2.3.5', stream_key: 'k' }, /^body\.stream_url must include the application path/],
      [{ platform: 'custom', stream_url: 'rtmp://bob:hunter2@1.2.3.5/app', stream_key: 'k' }, /^body\.stream_url must not contain credentials .*; got "rtmp:\/\/1\.2\.3\.5\/…"$/],
      [{ platform: 'custom', stream_url: 'rtmp://no-such-host.invalid/app', stream_key: 'k' }, /^body\.stream_url host "no-such-host\.invalid" does not resolve \(E[A-Z_]+\)$/],
      [{ platform: 'myspace', stream_key: 'k' }, /^body\.platform must be equal to one of the allowed values; got "myspace"$/],
      [{ platform: 'twitch' }, /^body\.stream_key is required$/],
      [{ platform: 'twitch', stream_key: 'has space' }, /^body\.stream_key must match pattern .*; got "\[redacted\]"$/],
      [{ platform: 'twitch', stream_key: '' }, /^body\.stream_key must NOT have fewer than 1 characters; got "\[redacted\]"$/],
      [{ platform: 'twitch', stream_key: 'k', name: ' ' }, /^body\.name must match pattern/],
      [{ platform: 'twitch', stream_key: 'k', retry: { delay_s: 0 } }, /^body\.retry\.delay_s must be >= 0\.1; got 0$/],
      [{ platform: 'twitch', stream_key: 'k', retry: { attempts: -1 } }, /^body\.retry\.attempts must be >= 0; got -1$/],
      [{ platform: 'twitch', stream_key: 'k', retry: {} }, /^body\.retry must NOT have fewer than 1 properties/],
    ];
    for (const [payload, message] of cases) {
      const response = await addTarget(stream.id, payload);
      t.equal(response.statusCode, 400, JSON.stringify(payload));
      t.equal(response.json().error.code, 'LIVE_ERR_VALIDATION');
      t.match(response.json().error.message, message);
      t.notMatch(response.body, /hunter2|has space/, 'secrets are not echoed');
    }
    t.equal((await v1(alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data.length, 2, 'nothing stored by the refusals');
  });

  t.test('hosts on private networks are refused, naming the field and the reason', async (t) => {
    const stream = await createStream(app, alice.token);
    const cases: [string, string][] = [
      ['rtmp://127.0.0.1/app', 'loopback'],
      ['rtmp://localhost:1935/app', 'loopback'],
      ['rtmp://10.1.2.3/app', 'private'],
      ['rtmp://172.20.0.5/app', 'private'],
      ['rtmps://192.168.1.1:443/app', 'private'],
      ['rtmp://169.254.169.254/app', 'link-local'],
      ['rtmp://100.64.0.1/app', 'carrier-grade NAT'],
      ['rtmp://0.0.0.0/app', 'unspecified'],
      ['rtmp://[::1]/app', 'loopback'],
      ['rtmp://[fd00::1]/app', 'private'],
      ['rtmp://[fe80::1]/app', 'link-local'],
      ['rtmp://[::ffff:192.168.0.1]/app', 'private'],
      ['rtmp://[::ffff:127.0.0.1]/app', 'loopback'],
      ['rtmp://[::ffff:0:127.0.0.1]/app', 'loopback'],
      ['rtmp://198.18.0.1/app', 'benchmarking'],
      ['rtmp://192.0.0.1/app', 'reserved'],
      ['rtmp://203.0.113.9/app', 'documentation'],
      ['rtmp://2130706433/app', 'loopback'],
    ];
    for (const [url, kind] of cases) {
      const response = await addTarget(stream.id, { platform: 'custom', stream_url: url, stream_key: 'k' });
      t.equal(response.statusCode, 400, url);
      t.equal(response.json().error.code, 'LIVE_ERR_TARGET_ADDRESS_REFUSED', url);
      t.match(response.json().error.message, new RegExp(`^body\\.stream_url host ".+" resolves to a ${kind} address; .*ALLOW_PRIVATE_TARGETS=1`), url);
    }
    const override = await addTarget(stream.id, { platform: 'youtube', stream_url: 'rtmp://127.0.0.1/live2', stream_key: 'k' });
    t.equal(override.json().error.code, 'LIVE_ERR_TARGET_ADDRESS_REFUSED', 'also for a well-known platform with its own URL');

    const good = (await addTarget(stream.id, { platform: 'custom', stream_url: 'rtmp://1.2.3.9/app', stream_key: 'k' })).json();
    const patched = await v1(alice.token, 'PATCH', `/v1/streams/${stream.id}/restream-targets/${good.id}`, { stream_url: 'rtmp://localhost/app' });
    t.equal(patched.statusCode, 400);
    t.equal(patched.json().error.code, 'LIVE_ERR_TARGET_ADDRESS_REFUSED', 'and when a URL is changed');
    t.same(
      (await v1(alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data.map((target: { id: string }) => target.id),
      [good.id],
    );
  });

  t.test('PATCH changes any of name, enabled, stream_key, stream_url and retry', async (t) => {
    const stream = await createStream(app, alice.token);
    const created = (await addTarget(stream.id, { platform: 'twitch', stream_key: platformKey() })).json();
    const url = `/v1/streams/${stream.id}/restream-targets/${created.id}`;
    await waitFor('the clock to move past the creation', () => Date.now() > Date.parse(created.updated_at));
    const renamed = await v1(alice.token, 'PATCH', url, { name: 'Main channel', enabled: false });
    t.equal(renamed.statusCode, 200);
    t.match(renamed.json(), { id: created.id, name: 'Main channel', enabled: false, platform: 'twitch', stream_key: created.stream_key, created_at: created.created_at });
    t.ok(renamed.json().updated_at > created.updated_at, 'updated_at moves');

    const newKey = platformKey();
    realKeys.push(newKey);
    t.equal((await v1(alice.token, 'PATCH', url, { stream_key: newKey })).json().stream_key, `****${newKey.slice(-4)}`);
    t.same((await v1(alice.token, 'PATCH', url, { retry: { attempts: 7 } })).json().retry, { attempts: 7, delay_s: 2 }, 'retry merges');
    t.same((await v1(alice.token, 'PATCH', url, { retry: { delay_s: 10 } })).json().retry, { attempts: 7, delay_s: 10 });
    t.equal((await v1(alice.token, 'PATCH', url, { stream_url: 'rtmp://1.2.3.20/app' })).json().stream_url, 'rtmp://1.2.3.20/app');
    t.equal((await v1(alice.token, 'PATCH', url, { stream_url: null })).json().stream_url, 'rtmp://live.twitch.tv/app', 'null: back to the platform URL');
    const got = await v1(alice.token, 'GET', url);
    t.equal(got.statusCode, 200);
    t.match(got.json(), { name: 'Main channel', enabled: false, retry: { attempts: 7, delay_s: 10 }, stream_url: 'rtmp://live.twitch.tv/app' });

    const custom = (await addTarget(stream.id, { platform: 'custom', stream_url: 'rtmp://1.2.3.5/app', stream_key: 'k' })).json();
    const nullUrl = await v1(alice.token, 'PATCH', `/v1/streams/${stream.id}/restream-targets/${custom.id}`, { stream_url: null });
    t.equal(nullUrl.statusCode, 400);
    t.equal(nullUrl.json().error.message, 'body.stream_url cannot be null for platform "custom"');
    const empty = await v1(alice.token, 'PATCH', url, {});
    t.equal(empty.statusCode, 400);
    t.match(empty.json().error.message, /^body must NOT have fewer than 1 properties/);
    const badKey = await v1(alice.token, 'PATCH', url, { stream_key: 'two words' });
    t.equal(badKey.statusCode, 400);
    t.notMatch(badKey.body, /two words/);
  });

  t.test('DELETE removes a target; 404 for a target that does not exist', async (t) => {
    const stream = await createStream(app, alice.token);
    const created = (await addTarget(stream.id, { platform: 'kick', stream_key: platformKey('sk_us-west-2_') })).json();
    const url = `/v1/streams/${stream.id}/restream-targets/${created.id}`;
    const deleted = await v1(alice.token, 'DELETE', url);
    t.equal(deleted.statusCode, 204);
    t.equal(deleted.body, '');
    for (const [method, payload] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as [Method, object?][]) {
      const gone = await v1(alice.token, method, url, payload);
      t.equal(gone.statusCode, 404, method);
      t.same(gone.json().error, { code: 'LIVE_ERR_TARGET_NOT_FOUND', message: `restream target "${created.id}" does not exist` });
    }
    t.same((await v1(alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json(), { data: [] });
    t.equal((await v1(alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets/ABC`)).statusCode, 400);
  });

  t.test("another user's stream and its targets are 404 everywhere", async (t) => {
    const stream = await createStream(app, alice.token);
    const target = (await addTarget(stream.id, { platform: 'twitch', stream_key: platformKey() })).json();
    const bobStream = await createStream(app, bob.token);
    const routes: [Method, string, object?][] = [
      ['GET', `/v1/streams/${stream.id}/restream-targets`],
      ['POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: 'mine' }],
      ['GET', `/v1/streams/${stream.id}/restream-targets/${target.id}`],
      ['PATCH', `/v1/streams/${stream.id}/restream-targets/${target.id}`, { name: 'Mine now' }],
      ['DELETE', `/v1/streams/${stream.id}/restream-targets/${target.id}`],
    ];
    for (const [method, url, payload] of routes) {
      for (const token of [bob.token, ADMIN_TOKEN]) {
        const response = await v1(token, method, url, payload);
        t.equal(response.statusCode, 404, `${method} ${url}`);
        t.equal(response.json().error.code, 'LIVE_ERR_STREAM_NOT_FOUND');
      }
    }
    for (const [method, payload] of [['GET'], ['PATCH', { name: 'x' }], ['DELETE']] as [Method, object?][]) {
      const response = await v1(bob.token, method, `/v1/streams/${bobStream.id}/restream-targets/${target.id}`, payload);
      t.equal(response.statusCode, 404, `alice's target under bob's stream: ${method}`);
      t.equal(response.json().error.code, 'LIVE_ERR_TARGET_NOT_FOUND');
    }
    t.equal((await call(app, undefined, 'GET', `/v1/streams/${stream.id}/restream-targets`)).statusCode, 401);
    const own = (await v1(alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`)).json().data;
    t.same(own.map((entry: { id: string; name: string }) => [entry.id, entry.name]), [[target.id, 'Twitch']], 'unchanged by the attempts');
  });

  t.test('the stream object lists its targets in summary form', async (t) => {
    const stream = await createStream(app, alice.token);
    const twitch = (await addTarget(stream.id, { platform: 'twitch', stream_key: platformKey() })).json();
    const custom = (await addTarget(stream.id, { platform: 'custom', stream_url: 'rtmp://1.2.3.5/live2', stream_key: platformKey(), enabled: false })).json();
    const summaries = [
      { id: twitch.id, name: 'Twitch', platform: 'twitch', stream_url: 'rtmp://live.twitch.tv/app', enabled: true },
      { id: custom.id, name: '1.2.3.5', platform: 'custom', stream_url: 'rtmp://1.2.3.5/live2', enabled: false },
    ];
    t.same((await v1(alice.token, 'GET', `/v1/streams/${stream.id}`)).json().restream_targets, summaries);
    const listed = (await v1(alice.token, 'GET', '/v1/streams')).json().data.find((entry: { id: string }) => entry.id === stream.id);
    t.same(listed.restream_targets, summaries);
    t.same((await v1(alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Renamed' })).json().restream_targets, summaries);
  });

  t.test('RESTREAM_MAX_TARGETS bounds the targets of a stream', async (t) => {
    const { app: limited } = await buildTestApp(t, redis.url, { restreamMaxTargets: 2 });
    const stream = await createStream(limited, alice.token);
    for (let i = 0; i < 2; i++) {
      t.equal((await call(limited, alice.token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: 'k' })).statusCode, 201);
    }
    const third = await call(limited, alice.token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'twitch', stream_key: 'k' });
    t.equal(third.statusCode, 409);
    t.same(third.json().error, {
      code: 'LIVE_ERR_TOO_MANY_TARGETS',
      message: `stream "${stream.id}" already has 2 restream targets, the most RESTREAM_MAX_TARGETS allows`,
    });
  });

  t.test('each change bumps the restream version the heartbeat answer names', async (t) => {
    const stream = await createStream(app, alice.token);
    const other = await createStream(app, alice.token);
    const publishes = [
      { session_id: 's1', stream: stream.id, key_generation: 1 },
      { session_id: 's2', stream: other.id, key_generation: 1 },
      { session_id: 's3', stream: 'golive', key_generation: 0 },
    ];
    const versions = async () => {
      const answer = await originHeartbeat(internal, 'origin-v', publishes);
      t.equal(answer.statusCode, 200);
      return answer.json().restream;
    };
    t.same(await versions(), { [stream.id]: 0, [other.id]: 0, golive: 0 }, 'every reported stream, 0 before any change');

    const target = (await addTarget(stream.id, { platform: 'twitch', stream_key: platformKey() })).json();
    t.same(await versions(), { [stream.id]: 1, [other.id]: 0, golive: 0 }, 'create');
    const url = `/v1/streams/${stream.id}/restream-targets/${target.id}`;
    await v1(alice.token, 'PATCH', url, { enabled: false });
    t.equal((await versions())[stream.id], 2, 'update');
    await v1(alice.token, 'PATCH', url, { stream_key: 'new-key-1234' });
    t.equal((await versions())[stream.id], 3, 'key change');
    await v1(alice.token, 'DELETE', url);
    t.equal((await versions())[stream.id], 4, 'delete');
    await v1(alice.token, 'PATCH', url, { name: 'gone' });
    await addTarget(stream.id, { platform: 'custom', stream_url: 'rtmp://127.0.0.1/app', stream_key: 'k' });
    t.equal((await versions())[stream.id], 4, 'refused changes do not bump it');
    t.equal((await versions())[other.id], 0, "another stream's version is its own");

    const empty = await originHeartbeat(internal, 'origin-empty', []);
    t.same(empty.json().restream, {}, 'no publishes, no versions');
  });

  t.test('GET /internal/streams/{id}/restream: the configuration with the real keys', async (t) => {
    const stream = await createStream(app, alice.token);
    const twitchKey = platformKey();
    const customKey = platformKey('custom_');
    const twitch = (await addTarget(stream.id, { platform: 'twitch', stream_key: twitchKey })).json();
    const custom = (
      await addTarget(stream.id, {
        platform: 'custom',
        stream_url: 'rtmps://1.2.3.5:443/live2',
        stream_key: customKey,
        enabled: false,
        retry: { attempts: 0, delay_s: 1.5 },
      })
    ).json();
    const config = await internal.inject(`/internal/streams/${stream.id}/restream`);
    t.equal(config.statusCode, 200);
    t.same(config.json(), {
      version: 2,
      targets: [
        { id: twitch.id, url: 'rtmp://live.twitch.tv/app', stream_key: twitchKey, enabled: true, retry: { attempts: 3, delay_s: 2 } },
        { id: custom.id, url: 'rtmps://1.2.3.5:443/live2', stream_key: customKey, enabled: false, retry: { attempts: 0, delay_s: 1.5 } },
      ],
      fallback: null,
    });
    const answer = await originHeartbeat(internal, 'origin-c', [{ session_id: 'c1', stream: stream.id, key_generation: 1 }]);
    t.equal(answer.json().restream[stream.id], config.json().version, 'the same version as the heartbeat answer');

    const empty = await createStream(app, alice.token);
    t.same((await internal.inject(`/internal/streams/${empty.id}/restream`)).json(), { version: 0, targets: [], fallback: null });
    t.same((await internal.inject('/internal/streams/golive/restream')).json(), { version: 0, targets: [], fallback: null }, 'an open name');
    for (const name of ['zzzzzzzz', 'not-allowed']) {
      const unknown = await internal.inject(`/internal/streams/${name}/restream`);
      t.equal(unknown.statusCode, 404, name);
      t.same(unknown.json().error, { code: 'LIVE_ERR_STREAM_NOT_FOUND', message: `stream "${name}" does not exist` });
    }
    t.equal((await internal.inject('/internal/streams/a%20b/restream')).statusCode, 400);
  });

  t.test('deleting a stream deletes its targets; deleting a user deletes those of its streams', async (t) => {
    const stream = await createStream(app, alice.token);
    await addTarget(stream.id, { platform: 'twitch', stream_key: platformKey() });
    t.equal((await v1(alice.token, 'DELETE', `/v1/streams/${stream.id}`)).statusCode, 204);
    t.same(await app.redis.keys(`*${stream.id}*`), [], 'no key of the stream is left');
    t.equal((await internal.inject(`/internal/streams/${stream.id}/restream`)).statusCode, 404);

    const carol = await createUser(app, 'carol');
    const carols = await createStream(app, carol.token);
    await addTarget(carols.id, { platform: 'youtube', stream_key: platformKey() }, carol.token);
    t.equal((await call(app, ADMIN_TOKEN, 'DELETE', `/v1/users/${carol.id}`)).statusCode, 204);
    t.same(await app.redis.keys(`*${carols.id}*`), [], "no key of the user's stream is left");
  });

  t.test('no /v1 answer ever contains a real target key', async (t) => {
    for (const stream of (await v1(alice.token, 'GET', '/v1/streams')).json().data as { id: string }[]) {
      await v1(alice.token, 'GET', `/v1/streams/${stream.id}`);
      await v1(alice.token, 'GET', `/v1/streams/${stream.id}/restream-targets`);
      await v1(alice.token, 'GET', `/v1/streams/${stream.id}/lifecycle`);
    }
    t.ok(realKeys.length > 20, `${realKeys.length} keys, ${v1Bodies.length} answers checked`);
    const leaked = realKeys.filter((key) => key.length > 4 && v1Bodies.some((body) => body.includes(key)));
    t.same(leaked, []);
  });
});

t.test('ALLOW_PRIVATE_TARGETS=1 lets targets on private networks in', async (t) => {
  const { app } = await startTestApi(t, { allowPrivateTargets: true });
  const { token } = await createUser(app, 'lab');
  const stream = await createStream(app, token);
  for (const url of ['rtmp://127.0.0.1:1935/live', 'rtmp://localhost/live', 'rtmps://10.0.0.5/app', 'rtmp://[::1]/app']) {
    const created = await call(app, token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'custom', stream_url: url, stream_key: 'k' });
    t.equal(created.statusCode, 201, url);
  }
  const malformed = await call(app, token, 'POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'custom', stream_url: 'rtmp://10.0.0.5', stream_key: 'k' });
  t.equal(malformed.statusCode, 400, 'the URL shape is still checked');
});

t.test('target keys never reach the logs', async (t) => {
  const lines: string[] = [];
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  const { app, internal } = await startTestApi(t, { logger: pino(loggerOptions('api', 'debug'), destination), allowPrivateTargets: true });
  const { token } = await createUser(app, 'alice');
  const stream = await createStream(app, token);
  const keys = [platformKey(), platformKey('custom_'), platformKey('new_')];
  const base = `/v1/streams/${stream.id}/restream-targets`;
  const twitch = (await call(app, token, 'POST', base, { platform: 'twitch', stream_key: keys[0] })).json();
  await call(app, token, 'POST', base, { platform: 'custom', stream_url: 'rtmp://127.0.0.1/app', stream_key: keys[1] });
  await call(app, token, 'PATCH', `${base}/${twitch.id}`, { stream_key: keys[2] });
  await call(app, token, 'POST', base, { platform: 'twitch', stream_key: `${keys[0]} with a space` });
  await call(app, token, 'PATCH', `${base}/${twitch.id}`, { stream_key: `${keys[2]}\n` });
  t.equal((await internal.inject(`/internal/streams/${stream.id}/restream`)).statusCode, 200);
  await originHeartbeat(internal, 'origin-log', [{ session_id: 's', stream: stream.id, key_generation: 1 }]);
  await call(app, token, 'GET', base);
  await call(app, token, 'DELETE', `${base}/${twitch.id}`);
  // The last request's completion is the last line logged: everything before it is captured.
  await waitFor('the last request to be logged', () =>
    lines.join('').split('\n').some((line) => line.includes('"request completed"') && line.includes('"statusCode":204')),
  );
  const log = lines.join('');
  t.match(log, /restream target created/, 'the log was captured');
  t.match(log, /restream target deleted/);
  for (const key of keys) t.notOk(log.includes(key), 'no key in the log');
});
