import t from 'tap';
import { call, createStream, createUser, expectStreamBodiesRefused } from './fixtures/api-client.js';
import { startTestApi } from './fixtures/test-api.js';

const DEFAULT_LADDER = [
  { height: 720, bitrate_bps: 2_500_000 },
  { height: 480, bitrate_bps: 1_200_000 },
  { height: 360, bitrate_bps: 600_000 },
];

t.test("issue 13's ABR setting on a real redis-server", async (t) => {
  const { app, internal } = await startTestApi(t, { allowedStreams: ['golive'] });
  const alice = await createUser(app, 'alice');
  const authorize = async (name: string, session: string) =>
    (await internal.inject(`/authorize?${new URLSearchParams({ name, origin_id: 'origin-1', session_id: session })}`)).json();

  t.test('off by default, with the default ladder; the authorize answer then names no ABR', async (t) => {
    const stream = await createStream(app, alice.token);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${stream.id}`)).json().abr, { enabled: false, ladder: null });
    t.notOk('abr' in (await authorize(stream.rtmpKey, 'abr-0')), 'no ABR for the origin');
    await app.redis.del(`publisher:${stream.id}`);
  });

  t.test('on with the default ladder: the origin gets the ladder spelled out', async (t) => {
    const stream = await createStream(app, alice.token);
    const on = await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'ABR', abr: { enabled: true } });
    t.same(on.json().abr, { enabled: true, ladder: null });
    t.same((await authorize(stream.rtmpKey, 'abr-1')).abr, { enabled: true, ladder: DEFAULT_LADDER });
  });

  t.test('a ladder of its own, set at creation; PUT keeps what it omits', async (t) => {
    const ladder = [{ height: 240, bitrate_bps: 300_000 }];
    const created = await call(app, alice.token, 'POST', '/v1/streams', { name: 'Own', abr: { enabled: true, ladder } });
    t.equal(created.statusCode, 201);
    const stream = created.json();
    t.same(stream.abr, { enabled: true, ladder });
    const renamed = (await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Own 2' })).json();
    t.same(renamed.abr, { enabled: true, ladder }, 'omitted: kept');
    const off = (await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Own 2', abr: { enabled: false } })).json();
    t.same(off.abr, { enabled: false, ladder });
    const back = (await call(app, alice.token, 'PUT', `/v1/streams/${stream.id}`, { name: 'Own 2', abr: { ladder: null } })).json();
    t.same(back.abr, { enabled: false, ladder: null }, 'null: back to the default ladder');
  });

  t.test('invalid ladders: 400 naming the field and the value', async (t) => {
    const { id } = await createStream(app, alice.token);
    const cases: [object, RegExp][] = [
      [{ name: 'x', abr: { ladder: [] } }, /^body\.abr\.ladder must NOT have fewer than 1 items/],
      [{ name: 'x', abr: { ladder: [{ height: 361, bitrate_bps: 600_000 }] } }, /^body\.abr\.ladder\/0\/height must be multiple of 2|^body\.abr\.ladder\.0\.height must be multiple of 2/],
      [{ name: 'x', abr: { ladder: [{ height: 360, bitrate_bps: 1 }] } }, /bitrate_bps must be >= 50000; got 1$/],
      [{ name: 'x', abr: { ladder: [{ height: 360, bitrate_bps: 600_000 }, { height: 360, bitrate_bps: 500_000 }] } }, /^body\.abr\.ladder must list each height once; got 360$/],
      [{ name: 'x', abr: { enabled: 'yes' } }, /^body\.abr\.enabled must be boolean; got "yes"$/],
    ];
    await expectStreamBodiesRefused(t, app, alice.token, id, cases);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${id}`)).json().abr, { enabled: false, ladder: null }, 'unchanged');
  });

  t.test('open names run without ABR', async (t) => {
    t.notOk('abr' in (await authorize('golive', 'open-1')));
  });
});
