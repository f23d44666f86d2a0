/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): functions by self time, with positions
 * mapped back to the TypeScript sources through the build's source maps.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotFunction {
  name: string;
  /** `file:line` relative to the repository, TypeScript position when a source map has it. */
  location: string;
  selfMs: number;
  selfPercent: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Per generated line: [generated column, source index, source line, source column], sorted. */
type DecodedMap = { sources: string[]; lines: number[][][] };

function decodeMappings(mappings: string): number[][][] {
  const lines: number[][][] = [];
  const state = [0, 0, 0, 0];
  for (const line of mappings.split(';')) {
    state[0] = 0;
    const segments: number[][] = [];
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const values: number[] = [];
      let value = 0;
      let shift = 0;
      for (const char of segment) {
        const digit = BASE64.indexOf(char);
        value += (digit & 31) << shift;
        if (digit & 32) shift += 5;
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      for (let i = 0; i < Math.min(4, values.length); i += 1) state[i]! += values[i]!;
      if (values.length >= 4) segments.push([...state]);
    }
    lines.push(segments);
  }
  return lines;
}

const maps = new Map<string, DecodedMap | undefined>();

function sourceMapOf(file: string): DecodedMap | undefined {
  if (maps.has(file)) return maps.get(file);
  let decoded: DecodedMap | undefined;
  const mapFile = `${file}.map`;
  if (existsSync(mapFile)) {
    const raw = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; mappings: string; sourceRoot?: string };
    const base = path.dirname(mapFile);
    decoded = { sources: raw.sources.map((source) => path.resolve(base, raw.sourceRoot ?? '', source)), lines: decodeMappings(raw.mappings) };
  }
  maps.set(file, decoded);
  return decoded;
}

function locate(frame: CallFrame, repoRoot: string): string {
  if (!frame.url) return '(native)';
  const file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  const shown = (name: string, line: number) =>
    `${path.isAbsolute(name) ? path.relative(repoRoot, name) : name}:${line}`;
  const map = path.isAbsolute(file) ? sourceMapOf(file) : undefined;
  const segments = map?.lines[frame.lineNumber];
  if (map && segments && segments.length > 0) {
    let best = segments[0]!;
    for (const segment of segments) if (segment[0]! <= frame.columnNumber) best = segment;
    const source = map.sources[best[1]!];
    if (source) return shown(source, best[2]! + 1);
  }
  return shown(file, frame.lineNumber + 1);
}

export interface ProfileSummary {
  /** Busy time (not `(idle)`) of the main thread inside the range. */
  totalMs: number;
  functions: HotFunction[];
  /** Self time summed per source file (functions without a file under their own name). */
  files: Array<{ file: string; selfMs: number; selfPercent: number }>;
}

/**
 * The `top` functions by self time (samples attributed to the function itself, not its callees);
 * percentages are of busy samples (not `(idle)`). `range` limits the samples to a span in ms from
 * the start of the profile (which starts with the process), e.g. the benchmark's window.
 */
export function summarizeCpuProfile(
  file: string,
  repoRoot: string,
  { top = 15, range }: { top?: number; range?: { fromMs: number; toMs: number } } = {},
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfUs = new Map<string, { frame: CallFrame; us: number }>();
  let totalUs = 0;
  let atUs = 0;
  for (const [index, id] of profile.samples.entries()) {
    atUs += profile.timeDeltas[index] ?? 0;
    // timeDeltas[i] is the time before sample i; the next delta is how long sample i lasted.
    const us = profile.timeDeltas[index + 1] ?? 0;
    if (range && (atUs < range.fromMs * 1000 || atUs > range.toMs * 1000)) continue;
    const frame = frames.get(id);
    // Time the thread waited for I/O is not CPU time.
    if (!frame || us <= 0 || frame.functionName === '(idle)') continue;
    totalUs += us;
    const key = `${frame.functionName}|${frame.url}|${frame.lineNumber}|${frame.columnNumber}`;
    const entry = selfUs.get(key) ?? { frame, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
  }
  const percent = (us: number) => (totalUs > 0 ? (100 * us) / totalUs : 0);
  const located = [...selfUs.values()].map(({ frame, us }) => ({
    name: frame.functionName || '(anonymous)',
    location: frame.url ? locate(frame, repoRoot) : '',
    us,
  }));
  const perFile = new Map<string, number>();
  for (const { name, location, us } of located) {
    const key = location ? location.replace(/:\d+$/, '') : name;
    perFile.set(key, (perFile.get(key) ?? 0) + us);
  }
  return {
    totalMs: totalUs / 1000,
    functions: located
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map(({ name, location, us }) => ({ name, location, selfMs: us / 1000, selfPercent: percent(us) })),
    files: [...perFile]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([file, us]) => ({ file, selfMs: us / 1000, selfPercent: percent(us) })),
  };
}
