/**
 * Prometheus's own checker (`promtool`, from Debian's prometheus package: scripts/ensure-deps.sh
 * --tests installs it), so that a scrape and the scrape config are read by Prometheus's code, not
 * only by our parser.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

interface PromtoolRun {
  code: number | null;
  output: string;
}

function promtool(args: string[], input?: string): Promise<PromtoolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
    child.stdin.end(input ?? '');
  });
}

/** promtool's exit code for lint problems (naming conventions), as opposed to 1 for text it cannot parse. */
const LINT_PROBLEMS = 3;

/**
 * `promtool check metrics` on a scrape: throws when Prometheus cannot parse it; returns the lint
 * problems it names (one a line), for the caller to judge.
 */
export async function promtoolLint(text: string): Promise<string[]> {
  const { code, output } = await promtool(['check', 'metrics'], text);
  if (code !== 0 && code !== LINT_PROBLEMS) throw new Error(`promtool check metrics failed (${code}): ${output}`);
  return output.split('\n').filter((line) => line.trim() !== '');
}

/** `promtool check config`: throws with promtool's words unless the scrape config is valid. */
export async function promtoolCheckConfig(file: string): Promise<void> {
  const { code, output } = await promtool(['check', 'config', file]);
  if (code !== 0) throw new Error(`promtool check config ${file} failed (${code}): ${output}`);
}

/**
 * `promtool check rules` over each PromQL expression as a recording rule: Prometheus's own parser
 * and type checks, without a server. Throws with promtool's words when one does not pass.
 */
export async function promtoolCheckExpressions(expressions: readonly string[]): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-promql-'));
  try {
    const file = path.join(dir, 'rules.yml');
    // JSON is YAML: each expression goes in as a JSON string, escapes and all.
    const rules = expressions.map((expr, index) => ({ record: `check:expression_${index}`, expr }));
    await writeFile(file, JSON.stringify({ groups: [{ name: 'check', rules }] }));
    const { code, output } = await promtool(['check', 'rules', file]);
    if (code !== 0) throw new Error(`promtool check rules failed (${code}): ${output}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
