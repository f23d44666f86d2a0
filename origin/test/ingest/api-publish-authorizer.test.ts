import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import { TEST_INTERNAL_TOKEN } from '../../../test-support/internal-token.js';
import { ApiPublishAuthorizer } from '../../src/ingest/api-publish-authorizer.js';

/** The origin's authorizer on the one internal API client, closed with the test. */
function authorizerFor(t: Test, apiUrl: string, timeoutMs: number): ApiPublishAuthorizer {
  const client = new InternalApiClient({ apiUrl, token: TEST_INTERNAL_TOKEN, timeoutMs, connections: 1 });
  t.teardown(() => client.close());
  return new ApiPublishAuthorizer(client, 'origin-a');
}

/** A real HTTP server answering like the API's /authorize, recording what it was asked. */
async function apiLike(handler: (url: URL, res: http.ServerResponse) => void) {
  const seen: URL[] = [];
  const tokens: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    seen.push(url);
    tokens.push(req.headers.authorization);
    handler(url, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    tokens,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

t.test('2xx allows under the name the API returns; query carries app, name and addr', async (t) => {
  const api = await apiLike((_url, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ allowed: true, name: 'public-id', key_generation: 3 }));
  });
  t.teardown(api.close);
  const decision = await authorizerFor(t, api.url, 1000).authorize({ app: 'stream', name: 'key_1', addr: '10.1.1.1', sessionId: 'session-1' });
  t.same(decision, { allowed: true, streamName: 'public-id', keyGeneration: 3, recording: { mode: 'off', timeout_seconds: 0 } }, 'an API without recording: not recorded');
  t.equal(api.seen[0]?.pathname, '/authorize');
  t.equal(api.seen[0]?.searchParams.get('name'), 'key_1');
  t.equal(api.seen[0]?.searchParams.get('app'), 'stream');
  t.equal(api.seen[0]?.searchParams.get('addr'), '10.1.1.1');
  t.equal(api.seen[0]?.searchParams.get('origin_id'), 'origin-a', 'the API learns which origin asks');
  t.equal(api.seen[0]?.searchParams.get('session_id'), 'session-1');
  t.same(api.tokens, [`Bearer ${TEST_INTERNAL_TOKEN}`], 'with the internal token');
});

/** The decision on an API that answers `answer` as JSON. */
async function decisionOn(t: Test, answer: object) {
  const api = await apiLike((_url, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  t.teardown(api.close);
  return authorizerFor(t, api.url, 1000).authorize({ app: 'stream', name: 'key_1', addr: '', sessionId: 'session-1' });
}

t.test("the answer's recording setting comes with the grant", async (t) => {
  const recording = { mode: 'automatic', timeout_seconds: 30 };
  const decision = await decisionOn(t, { allowed: true, name: 'public-id', key_generation: 1, recording });
  t.same(decision, { allowed: true, streamName: 'public-id', keyGeneration: 1, recording });
});

t.test('a recording setting outside the contract denies, like any answer outside it', async (t) => {
  const decision = await decisionOn(t, { allowed: true, name: 'public-id', key_generation: 1, recording: { mode: 'sometimes', timeout_seconds: 30 } });
  t.match(decision, { allowed: false, refusal: 'api_unavailable' });
});

t.test("only the contract's answer allows: a bare 2xx denies", async (t) => {
  const api = await apiLike((_url, res) => res.end('OK'));
  t.teardown(api.close);
  const decision = await authorizerFor(t, api.url, 1000).authorize({ app: 'stream', name: 'golive', addr: '', sessionId: 'session-1' });
  t.match(decision, { allowed: false, reason: /not JSON/, refusal: 'api_unavailable' });
});

t.test('4xx denies', async (t) => {
  const api = await apiLike((_url, res) => {
    res.statusCode = 403;
    res.end('{}');
  });
  t.teardown(api.close);
  const decision = await authorizerFor(t, api.url, 1000).authorize({ app: 'stream', name: 'x', addr: '', sessionId: 'session-1' });
  t.match(decision, { allowed: false, refusal: 'denied' }, 'the API said no');
});

t.test('an API that does not answer in time denies', async (t) => {
  const api = await apiLike(() => undefined);
  t.teardown(() => {
    api.close();
  });
  const asked = authorizerFor(t, api.url, 300).authorize({ app: 'stream', name: 'x', addr: '', sessionId: 'session-1' });
  // Far past the 300 ms timeout, only so that a missing timeout fails here rather than hangs.
  let limit: NodeJS.Timeout | undefined;
  const stuck = new Promise<'stuck'>((resolve) => (limit = setTimeout(() => resolve('stuck'), 30_000)));
  const decision = await Promise.race([asked, stuck]);
  clearTimeout(limit);
  if (decision === 'stuck') throw new Error('the authorizer waits for an API that never answers');
  t.equal(decision.allowed, false);
  t.match(decision, { reason: 'GET /authorize: the API did not answer within 300 ms', refusal: 'api_unavailable' }, 'given up by its own timeout');
  t.equal(api.seen.length, 1, 'while the API still held the request');
});

t.test('an API that is down denies', async (t) => {
  const decision = await authorizerFor(t, 'http://127.0.0.1:1', 1000).authorize({ app: 'stream', name: 'x', addr: '', sessionId: 'session-1' });
  t.match(decision, { allowed: false, refusal: 'api_unavailable' });
});
