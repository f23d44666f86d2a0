/**
 * Besides `GET /ready` on its HTTP port, discovery tells whoever started it that it is ready with
 * a file: DISCOVERY_READY_FILE, when set, is written once the initial scan of HLS_PATH is done and
 * removed at shutdown. A file works whatever LOG_LEVEL is, from a shell (`scripts/platform.sh`), a
 * test harness or a container probe (`test -f`), without knowing the port.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readOptionalString, type Env } from '../../service-kit/src/env-settings.js';

export class ReadyFile {
  private constructor(private readonly file: string) {}

  /** From DISCOVERY_READY_FILE; undefined when it is not set. */
  static fromEnv(env: Env = process.env): ReadyFile | undefined {
    const file = readOptionalString(env, 'DISCOVERY_READY_FILE');
    return file === undefined ? undefined : new ReadyFile(path.resolve(file));
  }

  /** Removes a file left by an earlier run, which would claim readiness before the scan. */
  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }

  /** Written whole, then renamed, so a reader never sees a half-written file. */
  async markReady(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const partial = `${this.file}.${process.pid}.tmp`;
    await writeFile(partial, `${process.pid}\n`);
    await rename(partial, this.file);
  }
}
