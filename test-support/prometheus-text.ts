/**
 * Reads the Prometheus text exposition format (version 0.0.4) strictly: a scrape that Prometheus
 * would reject, or read otherwise than meant, throws with the line at fault. Tests of every
 * service's `GET /metrics` read their figures through it.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The series' name, e.g. `x_bucket` of histogram `x`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
/** The series each type may have besides its own name. */
const SUFFIXES: Record<MetricType, string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export class PrometheusTextError extends Error {
  constructor(line: number, text: string, reason: string) {
    super(`line ${line} (${JSON.stringify(text.slice(0, 120))}): ${reason}`);
  }
}

/** Every family of a scrape, by name, in order; throws PrometheusTextError on the first fault. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const seriesSeen = new Set<string>();
  if (text.length > 0 && !text.endsWith('\n')) throw new PrometheusTextError(0, text.slice(-40), 'the text must end with a newline');
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((line, index) => {
    const fail = (reason: string): never => {
      throw new PrometheusTextError(index + 1, line, reason);
    };
    if (line === '') return;
    const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    if (help) {
      const family = familyOf(families, help[1]!);
      if (family.help !== '') fail('a second HELP for this metric');
      family.help = help[2]!;
      return;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (\\w+)$`).exec(line);
    if (type) {
      const family = familyOf(families, type[1]!);
      if (!TYPES.has(type[2] as MetricType)) fail(`unknown type ${type[2]}`);
      if (family.samples.length > 0) fail('TYPE after the samples of its metric');
      family.type = type[2] as MetricType;
      return;
    }
    if (line.startsWith('#')) return;
    const sample = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`).exec(line);
    if (!sample) return fail('not a sample line');
    const name = sample[1]!;
    const family = [...families.values()].reverse().find((f) => SUFFIXES[f.type].some((suffix) => f.name + suffix === name));
    if (!family) return fail(`no TYPE or HELP line names the metric of ${name}`);
    const labels = parseLabels(sample[2] ?? '', fail);
    const value = parseValue(sample[3]!);
    if (Number.isNaN(value) && !/^nan$/i.test(sample[3]!)) fail(`${sample[3]} is not a number`);
    const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seriesSeen.has(series)) fail('the same series twice');
    seriesSeen.add(series);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

/** The sum of the samples named `name` whose labels include `labels` (0 when there is none). */
export function sumOf(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const sample of samplesOf(text, name)) {
    if (Object.entries(labels).every(([key, value]) => sample.labels[key] === value)) sum += sample.value;
  }
  return sum;
}

/** Every sample named `name`, whatever its labels. */
export function samplesOf(text: string, name: string): Sample[] {
  return [...parsePrometheusText(text).values()].flatMap((family) => family.samples.filter((sample) => sample.name === name));
}

function familyOf(families: Map<string, MetricFamily>, name: string): MetricFamily {
  let family = families.get(name);
  if (!family) {
    family = { name, type: 'untyped', help: '', samples: [] };
    families.set(name, family);
  }
  return family;
}

function parseLabels(text: string, fail: (reason: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  const pair = new RegExp(`(${LABEL_NAME})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`, 'y');
  while (pair.lastIndex < text.length) {
    const at = pair.lastIndex;
    const match = pair.exec(text);
    if (!match || match.index !== at) return fail(`bad labels at ${JSON.stringify(text.slice(at, at + 40))}`);
    const [, name, escaped] = match;
    if (name! in labels) fail(`label ${name} twice`);
    labels[name!] = escaped!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** As Go's strconv.ParseFloat, which Prometheus uses: NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(text: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : NaN;
}

/** Each label set's buckets: `le` rising, counts never falling, `+Inf` equal to `_count`. */
function checkHistogram(family: MetricFamily): void {
  const sets = new Map<string, { buckets: Array<{ le: number; count: number }>; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const set = sets.get(key) ?? { buckets: [] };
    sets.set(key, set);
    if (sample.name.endsWith('_bucket')) {
      if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
      set.buckets.push({ le: parseValue(le), count: sample.value });
    } else if (sample.name.endsWith('_count')) {
      set.count = sample.value;
    }
  }
  for (const [key, { buckets, count }] of sets) {
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]!.le > buckets[i - 1]!.le) || buckets[i]!.count < buckets[i - 1]!.count) {
        throw new Error(`${family.name}${key}: buckets out of order`);
      }
    }
    const last = buckets.at(-1);
    if (!last || last.le !== Infinity || last.count !== count) throw new Error(`${family.name}${key}: the +Inf bucket must equal _count`);
  }
}
