import t from 'tap';
import { startTestApi } from './fixtures/test-api.js';

t.test('GET /openapi.json: the public document generated from the route schemas', async (t) => {
  const { app } = await startTestApi(t);
  const response = await app.inject('/openapi.json');
  t.equal(response.statusCode, 200);
  t.match(response.headers['content-type'], /^application\/json/);
  const document = response.json();
  t.equal(document.openapi, '3.1.0');
  t.same(document.components.securitySchemes.bearer, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (lst_…), or ADMIN_TOKEN for the admin',
  });

  const v1 = {
    '/v1/users': ['get', 'post'],
    '/v1/users/{id}': ['delete', 'get', 'patch'],
    '/v1/users/{id}/tokens': ['get', 'post'],
    '/v1/users/{id}/tokens/{token_id}': ['delete'],
    '/v1/tokens': ['get', 'post'],
    '/v1/tokens/{id}': ['delete'],
    '/v1/streams': ['get', 'post'],
    '/v1/streams/{id}': ['delete', 'get', 'put'],
    '/v1/streams/{id}/stream-keys': ['get'],
    '/v1/streams/{id}/stream-keys/reset': ['post'],
    '/v1/streams/{id}/playlists': ['get'],
    '/v1/streams/{id}/lifecycle': ['get'],
    '/v1/streams/{id}/playback-token': ['post'],
    '/v1/streams/{id}/playback-signing-key': ['get'],
    '/v1/streams/{id}/views': ['get'],
    '/v1/streams/{id}/restream-targets': ['get', 'post'],
    '/v1/streams/{id}/restream-targets/{target_id}': ['delete', 'get', 'patch'],
    '/v1/streams/{id}/fallback': ['delete', 'get', 'put'],
    '/v1/streams/{id}/videos': ['get'],
    '/v1/videos/{uid}': ['delete', 'get'],
    '/v1/ingests': ['get'],
    '/v1/me': ['get'],
  };
  for (const [path, methods] of Object.entries(v1)) {
    const item = document.paths[path];
    t.ok(item, `${path} is documented`);
    t.same(Object.keys(item ?? {}).sort(), methods, path);
    for (const method of methods) {
      t.same(item[method].security, [{ bearer: [] }], `${method} ${path} needs the bearer token`);
      t.same(item[method].tags, ['v1']);
      t.ok(item[method].responses['401'], `${method} ${path} documents 401`);
    }
  }
  const streamBody = document.paths['/v1/streams'].post.responses['201'].content['application/json'].schema;
  t.same(Object.keys(streamBody.properties).sort(), [
    'abr',
    'allowed_origins',
    'created_at',
    'id',
    'name',
    'recording',
    'recordingStatus',
    'require_signed_urls',
    'restream_targets',
    'updated_at',
    'user_id',
  ]);
  t.same(Object.keys(streamBody.properties.restream_targets.items.properties).sort(), ['enabled', 'id', 'name', 'platform', 'stream_url']);
  const lifecycle = document.paths['/v1/streams/{id}/lifecycle'].get.responses['200'].content['application/json'].schema;
  t.same(Object.keys(lifecycle.properties).sort(), ['ingest', 'live', 'live_since', 'origin', 'publisher', 'pull', 'restream']);
  const ingest = lifecycle.properties.ingest.anyOf[0];
  t.same(Object.keys(ingest.properties).sort(), ['abr', 'audio', 'bitrate_bps', 'video'], "the publisher's ingest is described");
  t.same(Object.keys(ingest.properties.abr.properties).sort(), ['last_stop', 'renditions', 'restarts', 'state'], 'with its ABR ladder when it asks for one');
  t.same(Object.keys(ingest.properties.video.anyOf[0].properties).sort(), ['codec', 'fps', 'height', 'width']);
  t.same(Object.keys(ingest.properties.audio.anyOf[0].properties).sort(), ['channels', 'codec', 'sample_rate']);
  t.same(Object.keys(document.paths['/v1/me'].get.responses['200'].content['application/json'].schema.properties).sort(), ['admin', 'id', 'name', 'storage']);
  const target = document.paths['/v1/streams/{id}/restream-targets'].post;
  t.same(target.requestBody.content['application/json'].schema.required, ['platform', 'stream_key']);
  t.same(
    Object.keys(target.responses['201'].content['application/json'].schema.properties).sort(),
    ['created_at', 'enabled', 'id', 'name', 'platform', 'retry', 'status', 'stream_key', 'stream_url', 'updated_at'],
  );
  t.ok(document.paths['/v1/streams/{id}/fallback'].put.responses['413'], 'the upload documents 413');

  const jsonOf = (response: { content: { 'application/json': { schema: { properties: object } } } }) =>
    Object.keys(response.content['application/json'].schema.properties).sort();
  const token = document.paths['/v1/streams/{id}/playback-token'].post;
  t.same(jsonOf(token.responses['201']), ['expires_at', 'playback_url', 'token']);
  t.ok(token.responses['503'], 'the token route documents 503 (no PLAYBACK_SIGNING_KEY)');
  t.same(jsonOf(document.paths['/v1/streams/{id}/views'].get.responses['200']), ['liveViewers', 'time_viewed_s', 'views']);
  t.same(document.paths['/health'].get.tags, ['health']);
  t.equal(document.paths['/health'].get.security, undefined, '/health needs no token');
  t.same(
    Object.keys(document.paths).filter((path) => !path.startsWith('/v1/')),
    ['/health'],
    'the public listener documents no internal route',
  );
  t.notOk(document.paths['/openapi.json'], 'the document does not list itself');
  t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/docs')), 'nor the docs page');
});

t.test('GET /openapi.json on the internal listener: the internal routes, each behind INTERNAL_TOKEN', async (t) => {
  const { internal, internalApp } = await startTestApi(t);
  t.equal((await internalApp.inject('/openapi.json')).statusCode, 401, 'the document needs the token too');
  const response = await internal.inject('/openapi.json');
  t.equal(response.statusCode, 200);
  const document = response.json();
  t.equal(document.openapi, '3.1.0');
  t.same(document.components.securitySchemes.internalToken, {
    type: 'http',
    scheme: 'bearer',
    description: 'INTERNAL_TOKEN, shared by the API and its services',
  });
  t.match(document.components.securitySchemes.internalTokenQuery, { type: 'apiKey', in: 'query', name: 'internal_token' });

  const jsonOf = (response: { content: { 'application/json': { schema: { properties: object } } } }) =>
    Object.keys(response.content['application/json'].schema.properties).sort();
  t.same(jsonOf(document.paths['/streams/{name}/views'].get.responses['200']), ['liveViewers']);
  const route = document.paths['/streams/{name}'].get.responses['200'].content['application/json'].schema;
  t.same(Object.keys(route.properties.playback.properties).sort(), ['allowed_origins', 'require_signed_urls']);
  t.ok(document.paths['/views'].post.responses['204'], 'a batch of sightings answers 204');

  const internalPaths = [
    '/authorize',
    '/ingests/{origin_id}',
    '/ingests/{origin_id}/publishes/{session_id}',
    '/streams',
    '/streams/{name}',
    '/streams/{name}/views',
    '/views',
    '/internal/streams/{id}/restream',
    '/internal/streams/{id}/restream-status',
    '/internal/streams/{id}/fallback',
    '/internal/videos/{uid}',
    '/internal/pulls/claim',
  ];
  t.same(Object.keys(document.paths).sort(), [...internalPaths, '/health'].sort(), 'nothing of /v1');
  for (const path of internalPaths) {
    for (const [method, operation] of Object.entries(document.paths[path]) as [string, { tags: string[]; security?: unknown; responses: object }][]) {
      t.same(operation.tags, ['internal'], `${method} ${path}`);
      const security = path === '/authorize' ? [{ internalToken: [] }, { internalTokenQuery: [] }] : [{ internalToken: [] }];
      t.same(operation.security, security, `${method} ${path} needs INTERNAL_TOKEN`);
    }
  }
  t.same(document.paths['/health'].get.tags, ['health']);
  t.equal(document.paths['/health'].get.security, undefined);
});

t.test('GET /docs: the browsable page', async (t) => {
  const { app } = await startTestApi(t);
  const page = await app.inject('/docs/');
  t.equal(page.statusCode, 200);
  t.match(page.headers['content-type'], /^text\/html/);
  t.match(page.body, /swagger-ui/i);
  t.equal((await app.inject('/docs')).statusCode < 400, true, '/docs answers (or redirects)');
});
