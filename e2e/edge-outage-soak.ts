/**
 * `npm run test:soak`: seed 003's question, "what happens if the HTTP API goes offline for 5
 * minutes?", answered with the whole platform on its default settings (routes live 30 s in Redis,
 * the edge keeps known routes for ROUTE_STALE_MS, 15 minutes): 20 viewers poll a live stream
 * through the edge while the API is down for 5 minutes, a new viewer starts during the outage, and
 * every request of every viewer gets a 200, before, during and after. The same scenario runs for
 * 20 s in `npm test` (edge-outages.test.ts). SOAK_OUTAGE_SECONDS sets another outage length.
 *
 * Not a `*.test.ts` file, so `npm test` leaves it out.
 */
import t from 'tap';
import { apiOutage } from './api-outage-scenario.js';
import { startPlatform } from './platform-harness.js';

const OUTAGE_SECONDS = Number(process.env.SOAK_OUTAGE_SECONDS ?? 300);
if (!Number.isInteger(OUTAGE_SECONDS) || OUTAGE_SECONDS < 1 || OUTAGE_SECONDS > 600) {
  throw new Error(`SOAK_OUTAGE_SECONDS must be a whole number of seconds from 1 to 600, got ${process.env.SOAK_OUTAGE_SECONDS}`);
}

t.test(`the API offline for ${OUTAGE_SECONDS} s while 20 viewers watch: no request fails, a new viewer plays, the stream goes on when it is back`, async (t) => {
  const platform = await startPlatform();
  t.teardown(() => platform.stop());
  await apiOutage(t, platform, { stream: 'api-outage-soak', outageMs: OUTAGE_SECONDS * 1000, viewers: 20 });
});
