import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { promtoolCheckConfig } from '../../test-support/promtool.js';
import { repoRoot } from '../../test-support/repo-root.js';
import { localTargets, scrapeConfigFor } from '../src/scrape-config.js';

const SHIPPED = path.join(repoRoot, 'deploy/prometheus/prometheus.yml');
const LOCAL = localTargets({ apiInternal: 9091, origin: 8080, discovery: 8082, edge: 8081 });

t.test('the shipped config with other targets: every job and setting kept, only the targets replaced', async (t) => {
  const shipped = await readFile(SHIPPED, 'utf8');
  const made = scrapeConfigFor(shipped, { ...LOCAL, edge: ['10.0.0.31:8081', '10.0.0.32:8081'] }, { scrapeInterval: '1s' });
  const before = parse(shipped);
  const after = parse(made);
  t.same(after.global, { ...before.global, scrape_interval: '1s', scrape_timeout: '1s' });
  t.same(
    after.scrape_configs.map((job: { static_configs: unknown }) => ({ ...job, static_configs: undefined })),
    before.scrape_configs.map((job: { static_configs: unknown }) => ({ ...job, static_configs: undefined })),
    'each job as shipped but for its targets',
  );
  const targets = Object.fromEntries(after.scrape_configs.map((job: { job_name: string; static_configs: Array<{ targets: string[] }> }) => [job.job_name, job.static_configs.flatMap((c) => c.targets)]));
  t.same(targets, { api: ['127.0.0.1:9091'], origin: ['127.0.0.1:8080'], discovery: ['127.0.0.1:8082'], edge: ['10.0.0.31:8081', '10.0.0.32:8081'] });
  t.match(made, /METRICS_TOKEN/, "the shipped comments stay (the origin's token)");

  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-scrape-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'prometheus.yml'), made);
  await promtoolCheckConfig(path.join(dir, 'prometheus.yml'));
  t.pass('promtool accepts it');
});

t.test('a shipped config whose jobs are not the four services is refused, not half used', async (t) => {
  const shipped = await readFile(SHIPPED, 'utf8');
  t.throws(() => scrapeConfigFor(shipped.replace('job_name: discovery', 'job_name: sidecar'), LOCAL), /jobs are api, origin, sidecar, edge/);
  t.throws(() => scrapeConfigFor(`${shipped}\n  - job_name: redis\n    static_configs: [{targets: ["redis:9121"]}]\n`, LOCAL), /redis/);
  t.throws(() => scrapeConfigFor('global: [', LOCAL), /not YAML/);
});
