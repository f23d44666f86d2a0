/**
 * Prints a scrape config derived from the shipped one (scrape-config.ts) for the targets given:
 *   node dist/prometheus-config/src/print-scrape-config.js <shipped.yml> api=HOST:PORT[,…] origin=… discovery=… edge=…
 * scripts/prometheus.sh runs it for `npm start`, scripts/cluster.sh for the cluster's hosts.
 */
import { readFile } from 'node:fs/promises';
import { SCRAPE_JOBS, scrapeConfigFor, type ScrapeJob, type ScrapeTargets } from './scrape-config.js';

const [shipped, ...jobArgs] = process.argv.slice(2);
const usage = `usage: print-scrape-config.js <shipped.yml> ${SCRAPE_JOBS.map((job) => `${job}=HOST:PORT[,…]`).join(' ')}`;
const targets: Partial<Record<ScrapeJob, string[]>> = {};
for (const arg of jobArgs) {
  const [job, list = ''] = arg.split('=', 2);
  if (!SCRAPE_JOBS.includes(job as ScrapeJob) || list === '') {
    console.error(`${usage}\n  not understood: ${arg}`);
    process.exit(2);
  }
  targets[job as ScrapeJob] = list.split(',');
}
const missing = SCRAPE_JOBS.filter((job) => !targets[job]);
if (!shipped || missing.length > 0) {
  console.error(`${usage}\n  missing: ${shipped ? missing.join(', ') : 'the shipped config'}`);
  process.exit(2);
}
const note = `# Made from ${shipped} by prometheus-config/src/print-scrape-config.ts: change that file, not this one.\n`;
process.stdout.write(note + scrapeConfigFor(await readFile(shipped, 'utf8'), targets as ScrapeTargets));
