/**
 * Prometheus scrape configs for every way livestack runs, all derived from the one shipped config
 * (deploy/prometheus/prometheus.yml, docker-compose's): its jobs, paths and settings are kept as
 * they are, only each job's targets (and, when asked, the scrape interval) change. So `npm run
 * prometheus`, the cluster and the tests scrape what docker-compose's Prometheus scrapes, and a
 * job added to or renamed in the shipped file without targets here is an error, not a silent gap.
 */
import { isMap, isSeq, parseDocument } from 'yaml';

/** One job per service, named as in the shipped config. */
export const SCRAPE_JOBS = ['api', 'origin', 'discovery', 'edge'] as const;
export type ScrapeJob = (typeof SCRAPE_JOBS)[number];

/** `host:port` targets of each job. */
export type ScrapeTargets = Record<ScrapeJob, readonly string[]>;

export interface ScrapeConfigOptions {
  /** Replaces `global.scrape_interval` (see withScrapeInterval). */
  scrapeInterval?: string;
}

/** The shipped config's text with every job's targets replaced by `targets` (comments kept). */
export function scrapeConfigFor(shippedYaml: string, targets: ScrapeTargets, { scrapeInterval }: ScrapeConfigOptions = {}): string {
  const config = parseDocument(shippedYaml);
  if (config.errors.length > 0) throw new Error(`the shipped scrape config is not YAML: ${config.errors[0]!.message}`);
  const jobs = config.get('scrape_configs', true);
  if (!isSeq(jobs)) throw new Error('the shipped scrape config has no scrape_configs list');
  const names = jobs.items.map((job) => (isMap(job) ? String(job.get('job_name')) : '?'));
  if (names.slice().sort().join() !== [...SCRAPE_JOBS].sort().join()) {
    throw new Error(`the shipped scrape config's jobs are ${names.join(', ')}; targets are known for ${SCRAPE_JOBS.join(', ')}`);
  }
  for (const job of jobs.items) {
    if (!isMap(job)) continue;
    const name = String(job.get('job_name')) as ScrapeJob;
    job.set('static_configs', config.createNode([{ targets: [...targets[name]] }]));
  }
  return scrapeInterval === undefined ? config.toString() : withScrapeInterval(config.toString(), scrapeInterval);
}

/** A scrape config with its interval (and the timeout, which may not exceed it) replaced, e.g. `1s` in tests. */
export function withScrapeInterval(configYaml: string, scrapeInterval: string): string {
  const config = parseDocument(configYaml);
  config.setIn(['global', 'scrape_interval'], scrapeInterval);
  config.setIn(['global', 'scrape_timeout'], scrapeInterval);
  return config.toString();
}

/** Where `npm start`'s services listen, all on one host. */
export interface LocalPorts {
  apiInternal: number;
  origin: number;
  discovery: number;
  edge: number;
}

export function localTargets(ports: LocalPorts, host = '127.0.0.1'): ScrapeTargets {
  return {
    api: [`${host}:${ports.apiInternal}`],
    origin: [`${host}:${ports.origin}`],
    discovery: [`${host}:${ports.discovery}`],
    edge: [`${host}:${ports.edge}`],
  };
}
