import t from 'tap';
import { startTestApi } from './fixtures/test-api.js';

t.test('GET /health is ok while Redis answers', async (t) => {
  const { app } = await startTestApi(t);
  const response = await app.inject('/health');
  t.equal(response.statusCode, 200);
  t.same(response.json(), { status: 'ok' });
});

t.test('unknown routes answer 404 JSON', async (t) => {
  const { app } = await startTestApi(t);
  const response = await app.inject('/nope/here?token=secret');
  t.equal(response.statusCode, 404);
  t.match(response.headers['content-type'], /^application\/json/);
  t.same(response.json(), { error: { code: 'LIVE_ERR_ROUTE_NOT_FOUND', message: 'no route for GET "/nope/here"' } });

  const wrongMethod = await app.inject({ method: 'PUT', url: '/streams/golive' });
  t.equal(wrongMethod.statusCode, 404);
  t.equal(wrongMethod.json().error.code, 'LIVE_ERR_ROUTE_NOT_FOUND');
});
