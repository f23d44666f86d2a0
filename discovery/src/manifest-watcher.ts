import { watch, type FSWatcher } from 'chokidar';
import { mkdir, open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../service-kit/src/logger.js';
import { ABR_SOURCE_PLAYLIST } from '../../internal-api/src/abr-contract.js';
import { isMultivariantPlaylist, readPlaylistState, type PlaylistState } from './playlist-state.js';

/** What the watcher tells whoever tracks streams. */
export interface ManifestListener {
  /** `modifiedAt`: the manifest's mtime in ms since the epoch. */
  manifestWritten(name: string, state: PlaylistState, modifiedAt: number): void;
  /** The manifest or the stream's folder was deleted. */
  streamRemoved(name: string): void;
}

export interface ManifestWatcherOptions {
  hlsPath: string;
  manifestName: string;
  listener: ManifestListener;
  logger: Logger;
}

/** Just past chokidar's 50 ms change throttle. */
const TRAILING_READ_MS = 60;
/** When a new stream folder is checked for a manifest chokidar missed: early, then once more late. */
const NEW_FOLDER_CHECKS_MS = [20, TRAILING_READ_MS];

interface ManifestRead {
  /** Another event came while reading: read again, the file may have been replaced since. */
  again: boolean;
  /** The stream was removed while reading: drop the result. */
  cancelled: boolean;
}

/**
 * Watches `HLS_PATH/<name>/<MANIFEST_NAME>` with native file-system events (no polling, no
 * awaitWriteFinish: the origin and nginx-rtmp replace playlists by rename, so a file is complete
 * when its event fires and the first report goes out within milliseconds). Everything else,
 * segments and temp files (`index.m3u8.tmp`, nginx's `.bak`), is filtered out by `ignored`.
 *
 * Existing manifests are read at start-up like new ones (`ignoreInitial: false`); the lifecycle's
 * mtime rule keeps stale leftovers of a crashed origin off the API.
 *
 * chokidar drops a `change` that comes within 50 ms of the previous one for the same file, with no
 * trailing event: an origin that writes its last live playlist and then the ENDLIST one right
 * after would never be seen ending. So every event also arms a trailing read `TRAILING_READ_MS`
 * after the last one; the lifecycle ignores a read that brings nothing new.
 *
 * chokidar's `atomic` mode stays on: an unlink followed by a re-add within 100 ms becomes one
 * change, so a writer that deletes before writing does not make a stream flap; the price is that
 * deleting a manifest alone is seen 100 ms late (deleting the folder is seen at once).
 *
 * A stream with ABR on (issue 13) has a multivariant `index.m3u8`, written once, beside the
 * source's media playlist `source.m3u8`, which changes with every segment: its events count as
 * the manifest's, and its state and mtime stand for the stream's.
 */
export class ManifestWatcher {
  readonly #root: string;
  readonly #manifestName: string;
  readonly #listener: ManifestListener;
  readonly #logger: Logger;
  readonly #reads = new Map<string, ManifestRead>();
  readonly #trailingReads = new Map<string, NodeJS.Timeout>();
  readonly #folderChecks = new Map<string, NodeJS.Timeout[]>();
  #watcher: FSWatcher | undefined;
  #closed = false;

  constructor(options: ManifestWatcherOptions) {
    this.#root = path.resolve(options.hlsPath);
    this.#manifestName = options.manifestName;
    this.#listener = options.listener;
    this.#logger = options.logger;
  }

  /** Resolves once the initial scan is done. */
  async start(): Promise<void> {
    // The origin may start after discovery; watching a folder that does not exist yet sees nothing.
    await mkdir(this.#root, { recursive: true });
    const watcher = watch(this.#root, {
      depth: 1,
      usePolling: false,
      ignoreInitial: false,
      atomic: true,
      awaitWriteFinish: false,
      ignored: (file, stats) => this.#ignored(file, stats?.isDirectory()),
    });
    this.#watcher = watcher;
    watcher.on('add', (file) => this.#onManifestEvent(file));
    watcher.on('change', (file) => this.#onManifestEvent(file));
    watcher.on('addDir', (dir) => this.#onFolderAdded(dir));
    watcher.on('unlink', (file) => {
      const name = this.#streamOfManifest(file);
      if (name !== undefined) this.#removed(name);
    });
    watcher.on('unlinkDir', (dir) => {
      const name = this.#streamOfFolder(dir);
      if (name !== undefined) this.#removed(name);
    });
    watcher.on('error', (error) => this.#logger.error({ err: error, hlsPath: this.#root }, 'watcher error'));
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    this.#logger.info({ hlsPath: this.#root, manifest: this.#manifestName }, 'watching HLS folder');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of [...this.#trailingReads.values(), ...[...this.#folderChecks.values()].flat()]) clearTimeout(timer);
    this.#trailingReads.clear();
    this.#folderChecks.clear();
    await this.#watcher?.close();
  }

  /** Keeps the root, stream folders and manifests; `isDirectory` is unknown on some calls. */
  #ignored(file: string, isDirectory: boolean | undefined): boolean {
    const parts = this.#parts(file);
    if (parts === undefined) return true;
    if (parts.length === 0) return false;
    if (parts.length === 1) return isDirectory === false;
    return parts.length > 2 || (parts[1] !== this.#manifestName && parts[1] !== ABR_SOURCE_PLAYLIST);
  }

  /** Path segments below the root, or undefined outside it. */
  #parts(file: string): string[] | undefined {
    const relative = path.relative(this.#root, path.resolve(file));
    if (relative === '') return [];
    if (relative.startsWith('..') || path.isAbsolute(relative)) return undefined;
    return relative.split(path.sep);
  }

  #streamOfManifest(file: string): string | undefined {
    const parts = this.#parts(file);
    return parts?.length === 2 && parts[1] === this.#manifestName ? parts[0] : undefined;
  }

  /** The stream whose manifest, or ABR source playlist, `file` is. */
  #streamOfPlaylist(file: string): string | undefined {
    const parts = this.#parts(file);
    return parts?.length === 2 && (parts[1] === this.#manifestName || parts[1] === ABR_SOURCE_PLAYLIST) ? parts[0] : undefined;
  }

  #streamOfFolder(dir: string): string | undefined {
    const parts = this.#parts(dir);
    return parts?.length === 1 ? parts[0] : undefined;
  }

  /**
   * chokidar lists a new folder before it watches it (paulmillr/chokidar#1471, open in v5), so a
   * manifest renamed into a brand-new folder in between is neither reported nor watched: it would
   * only show up at the folder's next event, and its deletion would never be seen. So the manifest
   * is read when the folder appears and at NEW_FOLDER_CHECKS_MS, and if chokidar does not track it
   * then, it is handed to chokidar explicitly.
   */
  #onFolderAdded(dir: string): void {
    const name = this.#streamOfFolder(dir);
    if (name === undefined || this.#closed) return;
    const file = path.join(dir, this.#manifestName);
    this.#read(name, file);
    this.#clearFolderChecks(name);
    this.#folderChecks.set(
      name,
      NEW_FOLDER_CHECKS_MS.map((delayMs) =>
        setTimeout(() => {
          this.#read(name, file);
          void this.#watchIfMissed(dir, file);
        }, delayMs),
      ),
    );
  }

  #clearFolderChecks(name: string): void {
    for (const timer of this.#folderChecks.get(name) ?? []) clearTimeout(timer);
    this.#folderChecks.delete(name);
  }

  async #watchIfMissed(dir: string, file: string): Promise<void> {
    const watcher = this.#watcher;
    if (!watcher || this.#closed) return;
    if (watcher.getWatched()[dir]?.includes(this.#manifestName)) return;
    const exists = await stat(file).then(
      () => true,
      () => false,
    );
    if (exists && !this.#closed) {
      this.#logger.debug({ file }, 'manifest missed by chokidar in a new folder: watching it explicitly');
      watcher.add(file);
    }
  }

  #onManifestEvent(playlist: string): void {
    const name = this.#streamOfPlaylist(playlist);
    if (name === undefined || this.#closed) return;
    const file = path.join(this.#root, name, this.#manifestName);
    this.#read(name, file);
    clearTimeout(this.#trailingReads.get(name));
    this.#trailingReads.set(
      name,
      setTimeout(() => {
        this.#trailingReads.delete(name);
        this.#read(name, file);
      }, TRAILING_READ_MS),
    );
  }

  #read(name: string, file: string): void {
    const running = this.#reads.get(name);
    if (running) {
      running.again = true;
      return;
    }
    const read: ManifestRead = { again: false, cancelled: false };
    this.#reads.set(name, read);
    void this.#readUntilSettled(name, file, read);
  }

  /** One read per stream at a time, so an older read never overtakes a newer one. */
  async #readUntilSettled(name: string, file: string, read: ManifestRead): Promise<void> {
    do {
      read.again = false;
      const manifest = await this.#readManifest(name, file);
      if (manifest && !read.cancelled && !this.#closed) {
        this.#listener.manifestWritten(name, manifest.state, manifest.modifiedAt);
      }
    } while (read.again && !read.cancelled && !this.#closed);
    if (this.#reads.get(name) === read) this.#reads.delete(name);
  }

  async #readManifest(name: string, file: string): Promise<{ state: PlaylistState; modifiedAt: number } | undefined> {
    try {
      // One handle for stat and read, so both describe the same file even if it is replaced meanwhile.
      const handle = await open(file, 'r');
      try {
        const stats = await handle.stat();
        const text = await handle.readFile('utf8');
        if (isMultivariantPlaylist(text) && path.basename(file) === this.#manifestName) return await this.#readManifest(name, path.join(path.dirname(file), ABR_SOURCE_PLAYLIST));
        return { state: readPlaylistState(text), modifiedAt: stats.mtimeMs };
      } finally {
        await handle.close();
      }
    } catch (error) {
      // Deleted between the event and the read: the unlink event follows.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#logger.warn({ err: error, stream: name }, 'cannot read manifest');
      }
      return undefined;
    }
  }

  #removed(name: string): void {
    clearTimeout(this.#trailingReads.get(name));
    this.#trailingReads.delete(name);
    this.#clearFolderChecks(name);
    const read = this.#reads.get(name);
    if (read) {
      read.cancelled = true;
      this.#reads.delete(name);
    }
    this.#listener.streamRemoved(name);
  }
}
