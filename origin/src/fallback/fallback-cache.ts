/**
 * The origin's copy of each stream's fallback video: downloaded from the API once per version
 * into FALLBACK_CACHE_PATH (`<stream>.v<version>.flv`, written as a temporary file and renamed
 * in, so a reader never sees half a file), and read into memory only while it plays.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import { InternalApiError } from '../../../internal-api/src/internal-api-errors.js';
import type { Logger } from '../../../service-kit/src/logger.js';
import { isStreamName } from '../hls/hls-names.js';
import type { FlvTag } from '../ingest/flv-tag-source.js';
import { MediaFormatError, readFlvTags } from '../media/index.js';
import { FallbackDownloadError, FallbackMediaError } from './fallback-errors.js';

/** A stream's fallback, as the API's restream configuration names it. */
export interface FallbackRef {
  /** Changes only when the video does. */
  version: number;
}

export interface FallbackCacheOptions {
  cachePath: string;
  client: Pick<InternalApiClient, 'downloadFallback'>;
  /** Deadline of one download, headers to last byte. */
  timeoutMs: number;
  /** A larger file is refused: it would be held in memory while it plays. */
  maxFileBytes: number;
  logger: Logger;
}

const TEMPORARY_SUFFIX = '.tmp';

export class FallbackCache {
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(private readonly options: FallbackCacheOptions) {}

  /** Creates the folder and removes downloads a previous run left half-done. */
  async prepare(): Promise<void> {
    await mkdir(this.options.cachePath, { recursive: true });
    const names = await readdir(this.options.cachePath);
    await Promise.all(
      names.filter((name) => name.endsWith(TEMPORARY_SUFFIX)).map((name) => rm(join(this.options.cachePath, name), { force: true })),
    );
  }

  /**
   * The path of the cached file of that version (or a newer one, if the API has moved on),
   * downloaded first when missing; concurrent calls share one download.
   */
  file(stream: string, ref: FallbackRef): Promise<string> {
    // Names have no dots: `<stream>.v` is no other stream's prefix.
    if (!isStreamName(stream)) return Promise.reject(new RangeError(`stream name ${JSON.stringify(stream)} is invalid`));
    const key = `${stream}/${ref.version}`;
    let download = this.downloads.get(key);
    if (!download) {
      download = this.ensure(stream, ref).finally(() => this.downloads.delete(key));
      this.downloads.set(key, download);
    }
    return download;
  }

  /** Removes every cached version of the stream's fallback (the stream was deleted). */
  async forget(stream: string): Promise<void> {
    if (!isStreamName(stream)) return;
    await this.removeVersions(stream);
  }

  /** The fallback's tags (bodies are views into the file, which stays in memory with them). */
  async tags(stream: string, ref: FallbackRef): Promise<FlvTag[]> {
    const path = await this.file(stream, ref);
    try {
      const tags = [...readFlvTags(new Uint8Array(await readFile(path)))];
      if (tags.length === 0) throw new FallbackMediaError(`the fallback of ${stream} (version ${ref.version}) holds no tag`);
      return tags;
    } catch (error) {
      if (!(error instanceof MediaFormatError || error instanceof FallbackMediaError)) throw error;
      // A broken file is fetched again next time rather than failing forever.
      await rm(path, { force: true });
      throw error instanceof FallbackMediaError ? error : new FallbackMediaError(`the fallback of ${stream}: ${error.message}`);
    }
  }

  private async ensure(stream: string, ref: FallbackRef): Promise<string> {
    const { cachePath } = this.options;
    let version = ref.version;
    if (!(await readdir(cachePath).catch(() => [] as string[])).includes(fileName(stream, version))) {
      const started = performance.now();
      const downloaded = await this.download(stream, ref);
      version = downloaded.version;
      this.options.logger.info(
        { stream, version, bytes: downloaded.bytes, ms: Math.round(performance.now() - started) },
        'fallback video downloaded',
      );
    }
    // Older versions of this stream's fallback are of no further use.
    const keep = fileName(stream, version);
    await this.removeVersions(stream, keep);
    return join(cachePath, keep);
  }

  /** Removes the stream's cached versions but `keep`. */
  private async removeVersions(stream: string, keep?: string): Promise<void> {
    const { cachePath } = this.options;
    const names = await readdir(cachePath).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => name.startsWith(`${stream}.v`) && name.endsWith('.flv') && name !== keep)
        .map((name) => rm(join(cachePath, name), { force: true })),
    );
  }

  /**
   * The API serves the stream's current video whatever version was asked for: the file is named
   * after the version it says it sent.
   */
  private async download(stream: string, ref: FallbackRef): Promise<{ version: number; bytes: number }> {
    const { client, timeoutMs, maxFileBytes } = this.options;
    const what = `the fallback of ${stream} (version ${ref.version})`;
    await mkdir(this.options.cachePath, { recursive: true });
    const download = await client.downloadFallback(stream, timeoutMs).catch((error: unknown) => {
      if (!(error instanceof InternalApiError)) throw error;
      throw new FallbackDownloadError(`${what}: ${error.message}`, { cause: error });
    });
    if (download.sizeBytes !== undefined && download.sizeBytes > maxFileBytes) {
      download.body.destroy();
      throw new FallbackDownloadError(`${what} is ${download.sizeBytes} bytes, more than FALLBACK_CACHE_MAX_FILE_BYTES (${maxFileBytes})`);
    }
    const version = download.version ?? ref.version;
    const path = join(this.options.cachePath, fileName(stream, version));
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > maxFileBytes) done(new FallbackDownloadError(`${what} is more than FALLBACK_CACHE_MAX_FILE_BYTES (${maxFileBytes})`));
        else done(null, chunk);
      },
    });
    const temporary = `${path}.${randomBytes(4).toString('hex')}${TEMPORARY_SUFFIX}`;
    try {
      await pipeline(download.body, limit, createWriteStream(temporary));
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      if (error instanceof FallbackDownloadError) throw error;
      throw new FallbackDownloadError(`${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return { version, bytes };
  }
}

function fileName(stream: string, version: number): string {
  return `${stream}.v${version}.flv`;
}
