/**
 * A media clip made once with ffmpeg and kept in a cache folder, so publishers can play it with
 * `-c copy` instead of encoding the same picture live every time (an x264 encode costs a fifth
 * of a core for as long as it runs; copying costs almost nothing).
 *
 * The file name carries a hash of the ffmpeg arguments, so changing any of them makes a new clip
 * instead of reusing a stale one. ffmpeg writes a name of its own (process id and a random part)
 * and the finished file is renamed into place: test files run three at a time, and processes
 * making the same clip at once each rename a complete file, so none ever reads half of one.
 */
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Clips being made by this process, by file: callers asking at once share one ffmpeg. */
const making = new Map<string, Promise<string>>();

/**
 * Returns the path of `<cacheDir>/<label>-<hash>.<format>`, made first with
 * `ffmpeg <makeArgs> -f <format> <file>` if it is not there yet; `onMake` is told before.
 * `makeArgs` name the inputs, the length and the encoding.
 */
export function ensureCachedClip(
  cacheDir: string,
  label: string,
  makeArgs: readonly string[],
  { format = 'flv', onMake = (_file: string) => {} } = {},
): Promise<string> {
  const hash = createHash('sha256').update(JSON.stringify([format, ...makeArgs])).digest('hex').slice(0, 12);
  const file = path.join(cacheDir, `${label}-${hash}.${format}`);
  if (existsSync(file)) return Promise.resolve(file);
  let made = making.get(file);
  if (!made) {
    made = makeClip(file, makeArgs, format, onMake).finally(() => making.delete(file));
    making.set(file, made);
  }
  return made;
}

async function makeClip(file: string, makeArgs: readonly string[], format: string, onMake: (file: string) => void): Promise<string> {
  onMake(file);
  await mkdir(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}-${randomUUID()}.partial`;
  try {
    await execFileAsync('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...makeArgs, '-f', format, partial], { maxBuffer: 16 * 1024 * 1024 });
    await rename(partial, file);
  } finally {
    await rm(partial, { force: true });
  }
  return file;
}
