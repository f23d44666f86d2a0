/**
 * A real Prometheus server (Debian's prometheus package: scripts/ensure-deps.sh --tests installs
 * it) for tests that must see what an operator's Prometheus sees: it scrapes the services over
 * HTTP with the config it is given, and answers PromQL through its HTTP API. Its TSDB lives in a
 * temporary folder removed by stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** One series of an instant query's answer: its labels and its value (NaN, ±Inf as Prometheus writes them). */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** A scrape target as /api/v1/targets reports it. */
export interface PromTarget {
  job: string;
  instance: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface PrometheusServer {
  url: string;
  /** An instant query (`/api/v1/query`); throws with Prometheus's error when the query is refused. */
  query(expr: string): Promise<PromSample[]>;
  /** The active scrape targets. */
  targets(): Promise<PromTarget[]>;
  /** What Prometheus printed, for a failing test's comments. */
  output(): string;
  stop(): Promise<void>;
}

/** Keeps the end of Prometheus's log: it logs a line per compaction and reload, without bound. */
const MAX_OUTPUT_CHARS = 20_000;

export async function startPrometheus(configYaml: string): Promise<PrometheusServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  await writeFile(configFile, configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      // Debian's defaults point at /usr/share/prometheus; the API needs neither.
      '--web.console.templates=/dev/null',
      '--web.console.libraries=/dev/null',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-MAX_OUTPUT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const api = async (apiPath: string): Promise<any> => {
    const response = await fetch(`${url}${apiPath}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data?: unknown; error?: string; errorType?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${apiPath}: ${body.errorType}: ${body.error}`);
    return body.data;
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      'Prometheus ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}): ${output.slice(-2000)}`);
        return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    query: async (expr) => {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (data.resultType !== 'vector') throw new Error(`${expr}: a ${data.resultType}, not an instant vector`);
      return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map(({ metric, value }) => ({
        metric,
        value: Number(value[1]),
      }));
    },
    targets: async () => {
      const data = await api('/api/v1/targets?state=active');
      return (data.activeTargets as Array<{ labels: Record<string, string>; health: PromTarget['health']; lastError: string }>).map((target) => ({
        job: target.labels.job ?? '',
        instance: target.labels.instance ?? '',
        health: target.health,
        lastError: target.lastError,
      }));
    },
    output: () => output,
    stop,
  };
}
