/**
 * Viewers that leave at every stage of a request must never take the edge down (issue 7: 200
 * clients disconnecting before the origin's headers killed the process with an unhandled
 * RequestAbortedError). The edge runs as its own process from the build, as `npm start` runs it
 * (so with the undici the build resolves), against a real origin HTTP server and an HTTP route
 * API in this process; every socket is on 127.0.0.1.
 */
import net from 'node:net';
import t from 'tap';
import { stopService } from '../../e2e/service-process.js';
import { sumOf } from '../../test-support/prometheus-text.js';
import { waitFor } from '../../test-support/wait-for.js';
import { request } from './fixtures/edge.js';
import { startEdgeProcess } from './fixtures/edge-process.js';
import { startRouteApi } from './fixtures/route-api.js';
import { BODY_BYTES, startStagedOrigin, type StagedOrigin } from './fixtures/staged-origin.js';
import { within } from './fixtures/within.js';

/** Viewers sent at once: the 200 clients of the issue. */
const BATCH = 200;
const ROUNDS = 2;
/** Few origin connections, so that requests also wait in the edge's queue for one. */
const UPSTREAM_CONNECTIONS = 16;
/** A stage that hangs fails the test with its name instead of running into tap's timeout. */
const STAGE_LIMIT_MS = 60_000;

interface Viewer {
  /** Resolves once the request is written. */
  sent: Promise<void>;
  /** Resolves on the first bytes of the answer. */
  firstBytes: Promise<void>;
  /** Resolves once the socket is closed. */
  closed: Promise<void>;
  received(): number;
  /** Leaves as soon as `bytes` have arrived (at once when they already have). */
  leaveAfter(bytes: number): void;
  /** Closes the connection: a FIN, or a reset for odd-numbered viewers (both happen in the wild). */
  leave(): void;
}

let viewersOpened = 0;

/** A raw HTTP/1.1 client sending `paths` on one connection, pipelined. */
function viewer(port: number, paths: readonly string[]): Viewer {
  const reset = viewersOpened++ % 2 === 1;
  const socket = net.connect(port, '127.0.0.1');
  const sent = new Promise<void>((resolve) =>
    socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: edge\r\n\r\n`).join(''), () => resolve()),
  );
  let received = 0;
  let leaveAt = Infinity;
  const leave = (): void => {
    if (reset && socket.readyState === 'open') socket.resetAndDestroy();
    else socket.destroy();
  };
  const firstBytes = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received >= leaveAt) leave();
  });
  socket.on('error', () => {
    // A reset from the edge after leaving is expected.
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    sent,
    firstBytes,
    closed,
    received: () => received,
    leaveAfter: (bytes) => {
      leaveAt = bytes;
      if (received >= leaveAt) leave();
    },
    leave,
  };
}

function paths(stream: string, prefix: string, count = BATCH): string[] {
  return Array.from({ length: count }, (_, i) => `/${stream}/${prefix}-${i}.ts`);
}

function reachedOrigin(origin: StagedOrigin, list: readonly string[]): number {
  return list.filter((path) => origin.received.has(path)).length;
}

/** Lines the edge printed that are not plain pino lines below error level (uncaught errors, warnings of node). */
function troubleIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        return ((JSON.parse(line) as { level?: number }).level ?? 60) >= 50;
      } catch {
        return true;
      }
    });
}

t.test('viewers leaving at every stage of a request leave the edge serving', async (t) => {
  const origin = await startStagedOrigin();
  t.teardown(() => origin.close());
  const api = await startRouteApi();
  t.teardown(() => api.close());
  api.register('golive', origin.host);

  const { edge, port } = await startEdgeProcess(api.url, {
    // Each held lookup keeps its own API connection, and none may time out while held.
    API_CONNECTIONS: String(BATCH),
    API_TIMEOUT_MS: String(STAGE_LIMIT_MS),
    UPSTREAM_CONNECTIONS: String(UPSTREAM_CONNECTIONS),
  });
  t.teardown(() => stopService(edge));
  const alive = (): boolean => edge.child.exitCode === null && edge.child.signalCode === null;

  /**
   * A round trip through the edge after an event (requests written, connections closed): the
   * edge has read everything that reached it before, so it has had its chance to act on it.
   */
  const edgeCaughtUp = async (): Promise<void> => {
    t.equal((await request(port, '/health')).status, 200);
  };

  /** Origin fetches the edge gave up because every viewer waiting for them left (its /metrics). */
  const abandonedFetches = async (): Promise<number> => {
    const text = (await request(port, '/metrics')).body.toString();
    return sumOf(text, 'edge_origin_fetches_total', { outcome: 'abandoned' });
  };

  /** Each stage sends its viewers, makes them leave, and returns how many left before their answer was complete. */
  const stages: Record<string, (round: number) => Promise<number>> = {
    // The edge asks the route API about each stream; the answers are held until the viewers are gone.
    'waiting for the route': async (round) => {
      const streams = Array.from({ length: BATCH }, (_, i) => `waiting${round}-${i}`);
      for (const stream of streams) api.register(stream, origin.host);
      const release = api.hold();
      const answeredBefore = api.answered();
      const list = streams.map((stream) => `/${stream}/seg.ts`);
      const viewers = list.map((path) => viewer(port, [path]));
      await waitFor('the edge to ask about every stream', () => streams.every((s) => api.asked.includes(s)), {
        timeoutMs: STAGE_LIMIT_MS,
      });
      for (const v of viewers) v.leave();
      await Promise.all(viewers.map((v) => v.closed));
      await edgeCaughtUp();
      release();
      await waitFor('every held lookup to be answered', () => api.answered() - answeredBefore >= BATCH, {
        timeoutMs: STAGE_LIMIT_MS,
      });
      await edgeCaughtUp();
      t.equal(reachedOrigin(origin, list), 0, 'no request of a viewer who left reaches the origin');
      return viewers.length;
    },
    // Every origin connection is held by other viewers, who then leave too.
    'queued for an origin connection': async (round) => {
      const blocking = paths('golive', `hold-block${round}`, UPSTREAM_CONNECTIONS);
      const blockers = blocking.map((path) => viewer(port, [path]));
      await Promise.all(blocking.map((path) => origin.reached(path)));
      const list = paths('golive', `seg-queued${round}`);
      const abandonedBefore = await abandonedFetches();
      const viewers = list.map((path) => viewer(port, [path]));
      await Promise.all(viewers.map((v) => v.sent));
      await edgeCaughtUp();
      for (const v of viewers) v.leave();
      await Promise.all(viewers.map((v) => v.closed));
      // The edge has acted on every departure once it gave up each of their fetches.
      await waitFor('the edge to give up the fetches of the viewers who left', async () => (await abandonedFetches()) >= abandonedBefore + viewers.length, {
        timeoutMs: STAGE_LIMIT_MS,
      });
      for (const v of blockers) v.leave();
      await Promise.all(blockers.map((v) => v.closed));
      const after = await request(port, `/golive/seg-after-queue${round}.ts`);
      t.equal(after.status, 200);
      t.equal(reachedOrigin(origin, list), 0, 'queued requests of viewers who left are dropped');
      return viewers.length + blockers.length;
    },
    // The origin has the request and has not answered.
    'before the headers': (round) => leaveWhenOriginReached(`hold-${round}`),
    // The origin has sent the headers, and no body.
    'after the headers': (round) => leaveWhenOriginReached(`head-${round}`),
    // The viewer has bytes; the origin holds the second half.
    'mid-body': async (round) => {
      const list = paths('golive', `half-${round}`);
      const viewers = list.map((path) => viewer(port, [path]));
      await Promise.all(
        viewers.map(async (v, i) => {
          await origin.reached(list[i]!);
          await v.firstBytes;
          v.leave();
          await v.closed;
        }),
      );
      t.ok(
        viewers.every((v) => v.received() > 0 && v.received() < BODY_BYTES),
        'every viewer left in the middle of the body',
      );
      return viewers.length;
    },
    'at a random moment': async (round) => {
      const viewers = paths('golive', `seg-random${round}`).map((path) => viewer(port, [path]));
      await Promise.all(
        viewers.map(async (v) => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
          v.leave();
          await v.closed;
        }),
      );
      return viewers.filter((v) => v.received() < BODY_BYTES).length;
    },
    // Like a load tool ending its run: four pipelined requests per connection, cut anywhere.
    'pipelined, cut anywhere': async (round) => {
      const viewers = Array.from({ length: BATCH / 2 }, (_, i) =>
        viewer(port, paths('golive', `seg-pipelined${round}-${i}`, 4)),
      );
      for (const v of viewers) v.leaveAfter(Math.random() * 4 * BODY_BYTES);
      await Promise.all(viewers.map((v) => v.closed));
      return viewers.reduce((sum, v) => sum + 4 - Math.floor(v.received() / BODY_BYTES), 0);
    },
  };

  async function leaveWhenOriginReached(prefix: string): Promise<number> {
    const list = paths('golive', prefix);
    const viewers = list.map((path) => viewer(port, [path]));
    await Promise.all(
      viewers.map(async (v, i) => {
        await origin.reached(list[i]!);
        v.leave();
        await v.closed;
      }),
    );
    t.equal(reachedOrigin(origin, list), list.length, 'every request reached the origin first');
    return viewers.length;
  }

  const started = Date.now();
  const left: Record<string, number> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [stage, run] of Object.entries(stages)) {
      try {
        left[stage] = (left[stage] ?? 0) + (await within(stage, run(round), STAGE_LIMIT_MS));
      } catch (error) {
        // A dead edge shows as a reset connection: say so, with what it printed.
        await waitFor('the edge to exit', () => !alive(), { timeoutMs: 5_000 }).catch(() => undefined);
        if (alive()) throw error;
        t.fail(`the edge exited while viewers left ${stage}`, {
          exit: edge.child.exitCode ?? edge.child.signalCode,
          output: troubleIn(edge.output).slice(0, 20),
        });
        return;
      }
      t.ok(alive(), `the edge is alive after viewers left ${stage}`);
    }
  }
  const elapsedMs = Date.now() - started;

  // The edge gave up or finished every origin request of a viewer who left.
  await waitFor('every origin request to end', () => origin.open() === 0, { timeoutMs: STAGE_LIMIT_MS });

  const segment = await request(port, '/golive/seg-final.ts');
  t.equal(segment.status, 200, 'the edge still serves');
  t.ok(segment.body.equals(origin.body), 'byte for byte');
  t.same(troubleIn(edge.output), [], 'no uncaught error, warning of node or error log line');

  await stopService(edge);
  t.equal(edge.child.exitCode, 0, 'and shuts down cleanly');

  const total = Object.values(left).reduce((sum, n) => sum + n, 0);
  t.ok(total >= 2_000, `thousands of viewers left early (${total})`);
  t.comment(`viewers who left early: ${total} in ${elapsedMs} ms`, left);
});
