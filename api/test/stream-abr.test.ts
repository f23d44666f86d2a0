import t from 'tap';
import { call, createStream, createUser, expectStreamBodiesRefused } from './fixtures/api-client.js';
import { buildTestApp, startTestApi } from './fixtures/test-api.js';

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

t.test("the operator's bounds on a ladder (ABR_MAX_RENDITIONS, ABR_MAX_HEIGHT, ABR_MAX_BITRATE_KBPS)", async (t) => {
  const { app, redis } = await startTestApi(t);
  const alice = await createUser(app, 'alice');

  t.test('the defaults (3 rungs, 1080p, 6000 kb/s): at the bound accepted, past it 400 naming the field and the bound', async (t) => {
    const { id } = await createStream(app, alice.token);
    const atBounds = [
      { height: 1080, bitrate_bps: 6_000_000 },
      { height: 720, bitrate_bps: 2_500_000 },
      { height: 360, bitrate_bps: 600_000 },
    ];
    for (const [method, url] of [['POST', '/v1/streams'], ['PUT', `/v1/streams/${id}`]] as const) {
      const answer = await call(app, alice.token, method, url, { name: 'At the bounds', abr: { enabled: true, ladder: atBounds } });
      t.equal(answer.statusCode, method === 'POST' ? 201 : 200, method);
      t.same(answer.json().abr, { enabled: true, ladder: atBounds });
    }
    const { id: untouched } = await createStream(app, alice.token);
    const cases: [object, RegExp][] = [
      [
        { name: 'x', abr: { ladder: [...atBounds, { height: 240, bitrate_bps: 300_000 }] } },
        /^body\.abr\.ladder may have at most 3 renditions \(ABR_MAX_RENDITIONS\); got 4$/,
      ],
      [
        { name: 'x', abr: { ladder: [{ height: 720, bitrate_bps: 2_500_000 }, { height: 1082, bitrate_bps: 3_000_000 }] } },
        /^body\.abr\.ladder\.1\.height must be at most 1080 \(ABR_MAX_HEIGHT\); got 1082$/,
      ],
      [
        { name: 'x', abr: { ladder: [{ height: 1080, bitrate_bps: 6_000_001 }] } },
        /^body\.abr\.ladder\.0\.bitrate_bps must be at most 6000000 \(ABR_MAX_BITRATE_KBPS=6000\); got 6000001$/,
      ],
    ];
    await expectStreamBodiesRefused(t, app, alice.token, untouched, cases);
    t.same((await call(app, alice.token, 'GET', `/v1/streams/${untouched}`)).json().abr, { enabled: false, ladder: null }, 'unchanged');
  });

  t.test('the default ladder fits the default bounds', async (t) => {
    const created = await call(app, alice.token, 'POST', '/v1/streams', { name: 'Default', abr: { enabled: true, ladder: DEFAULT_LADDER } });
    t.equal(created.statusCode, 201);
    t.same(created.json().abr.ladder, DEFAULT_LADDER);
  });

  t.test("an operator's own bounds: 4 rungs up to 2160p at 12000 kb/s", async (t) => {
    const { app: roomy } = await buildTestApp(t, redis.url, {
      abrLadderBounds: { maxRenditions: 4, maxHeight: 2160, maxBitrateBps: 12_000_000 },
    });
    const bob = await createUser(roomy, 'bob');
    const { id } = await createStream(roomy, bob.token);
    const atBounds = [
      { height: 2160, bitrate_bps: 12_000_000 },
      { height: 1080, bitrate_bps: 6_000_000 },
      { height: 720, bitrate_bps: 2_500_000 },
      { height: 360, bitrate_bps: 600_000 },
    ];
    const accepted = await call(roomy, bob.token, 'PUT', `/v1/streams/${id}`, { name: 'Roomy', abr: { ladder: atBounds } });
    t.equal(accepted.statusCode, 200);
    t.same(accepted.json().abr.ladder, atBounds);
    await expectStreamBodiesRefused(t, roomy, bob.token, id, [
      [{ name: 'x', abr: { ladder: [{ height: 2160, bitrate_bps: 12_000_001 }] } }, /^body\.abr\.ladder\.0\.bitrate_bps must be at most 12000000 \(ABR_MAX_BITRATE_KBPS=12000\); got 12000001$/],
    ]);
    t.same((await call(roomy, bob.token, 'GET', `/v1/streams/${id}`)).json().abr.ladder, atBounds, 'unchanged by the refused PUT');
  });
});
