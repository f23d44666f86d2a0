/**
 * An edge told to stop (SIGTERM from an orchestrator, or SIGINT) stops taking connections at once
 * and finishes the answers under way: a viewer whose segment is still coming from the origin gets
 * all of it. The edge runs as its own process from the build, against a real origin HTTP server
 * and an HTTP route API in this process, on 127.0.0.1.
 */
import t from 'tap';
import { stopService } from '../../e2e/service-process.js';
import { tcpConnect } from '../../test-support/tcp-connect.js';
import { waitFor } from '../../test-support/wait-for.js';
import { request } from './fixtures/edge.js';
import { startEdgeProcess } from './fixtures/edge-process.js';
import { startRouteApi } from './fixtures/route-api.js';
import { startStagedOrigin } from './fixtures/staged-origin.js';

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal}: new connections refused, the answer under way finishes, then the edge exits`, async (t) => {
    const origin = await startStagedOrigin();
    t.teardown(() => origin.close());
    const api = await startRouteApi();
    t.teardown(() => api.close());
    api.register('golive', origin.host);

    // Longer than the test waits for the origin's answer to finish.
    const { edge, port } = await startEdgeProcess(api.url, { SHUTDOWN_TIMEOUT_MS: '120000' });
    t.teardown(() => stopService(edge));
    const exited = new Promise<number | null>((resolve) => edge.child.once('exit', (code) => resolve(code)));

    // A viewer's segment: the origin sent the headers and half the body, the rest is to come.
    const path = '/golive/half-under-way.ts';
    const answer = request(port, path);
    await origin.reached(path);

    edge.child.kill(signal);
    await waitFor('the edge to refuse new connections', async () => (await tcpConnect(port)) === 'ECONNREFUSED', { timeoutMs: 60_000, intervalMs: 50 });
    t.equal(edge.child.exitCode, null, 'the edge is still running while an answer is under way');

    origin.finish(path);
    const segment = await answer;
    t.equal(segment.status, 200, 'the viewer got its answer');
    t.ok(segment.body.equals(origin.body), `all of it (${segment.body.length} bytes)`);
    t.equal(await exited, 0, 'then the edge exited cleanly');
  });
}
