import { copyFile, link, mkdir, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../hls/atomic-file.js';
import { isStreamName, TEMPORARY_SUFFIX } from '../hls/hls-names.js';
import { parseRecordingInfo, stringifyRecordingInfo, VIDEO_UID_PATTERN, type RecordingInfo } from './recording-info.js';
import { parseRecordingPlaylist, stringifyRecordingPlaylist, type RecordingPlaylist } from './recording-playlist.js';
import { errorCode } from '../file-error-code.js';

/**
 * The recordings folder, `RECORDINGS_PATH/<stream>/<video uid>/` holding `index.m3u8`,
 * `recording.json` and `<n>.ts`: every file operation of recording is here, so that another
 * storage (an S3 bucket) could take its place behind the same functions.
 */

export const RECORDING_PLAYLIST_FILE = 'index.m3u8';
export const RECORDING_INFO_FILE = 'recording.json';

export function recordingSegmentName(index: number): string {
  return `${index}.ts`;
}

/**
 * A thumbnail made from a recording: named by the segment it comes from, the offset into it in
 * tenths of a second, and its height (`source`: the video's own), so one name is one picture for good.
 */
export function recordingThumbnailName(segmentUri: string, offsetTenths: number, height: number | undefined): string {
  return `thumbnail-${segmentUri.replace(/\.ts$/, '')}-${offsetTenths}-${height ?? 'source'}.jpg`;
}

const THUMBNAIL_FILE_PATTERN = /^thumbnail-[0-9]+-[0-9]+-(?:[0-9]+|source)\.jpg$/;

/** A file the recorder (or the thumbnails made from it) writes into a recording's folder, finished or half-written. */
const OWN_FILE_PATTERN = /^(?:index\.m3u8|recording\.json|[0-9]+\.ts|thumbnail-[0-9]+-[0-9]+-(?:[0-9]+|source)\.jpg)(?:\.tmp)?$/;

export function recordingFolder(recordingsPath: string, stream: string, uid: string): string {
  return join(recordingsPath, stream, uid);
}

/** Link errors that mean "not on one file system" or "links not supported here": copy instead. */
const COPY_INSTEAD = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK']);

/**
 * Keeps the live segment file under the recording: a hard link (no copy, no extra space; the live
 * window's later unlink leaves the recording's name) when both are on one file system, a copy
 * otherwise. Returns how it was kept.
 */
export async function keepSegment(liveFile: string, recordingFile: string): Promise<'linked' | 'copied'> {
  try {
    await link(liveFile, recordingFile);
    return 'linked';
  } catch (error) {
    if (errorCode(error) === 'EEXIST') {
      // Left by a write that failed half-way: the number is ours to reuse.
      await unlink(recordingFile);
      return keepSegment(liveFile, recordingFile);
    }
    if (!COPY_INSTEAD.has(errorCode(error) ?? '')) throw error;
    await copyFile(liveFile, `${recordingFile}${TEMPORARY_SUFFIX}`);
    await rename(`${recordingFile}${TEMPORARY_SUFFIX}`, recordingFile);
    return 'copied';
  }
}

export async function createRecordingFolder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
}

/** The playlist first: recording.json never describes segments the playlist does not name. */
export async function writeRecording(folder: string, playlist: RecordingPlaylist, info: RecordingInfo): Promise<void> {
  await writeFileAtomic(join(folder, RECORDING_PLAYLIST_FILE), stringifyRecordingPlaylist(playlist));
  await writeFileAtomic(join(folder, RECORDING_INFO_FILE), stringifyRecordingInfo(info));
}

export interface StoredRecording {
  folder: string;
  stream: string;
  uid: string;
}

/** Every `<stream>/<uid>/` folder under the recordings path; a missing path holds none. */
export async function listRecordings(recordingsPath: string): Promise<StoredRecording[]> {
  const found: StoredRecording[] = [];
  for (const stream of await folderNames(recordingsPath)) {
    if (!isStreamName(stream)) continue;
    for (const uid of await folderNames(join(recordingsPath, stream))) {
      if (VIDEO_UID_PATTERN.test(uid)) found.push({ folder: join(recordingsPath, stream, uid), stream, uid });
    }
  }
  return found;
}

async function folderNames(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** The playlist, or undefined when the folder has none (the origin stopped before the first segment was listed). */
export async function readRecordingPlaylist(folder: string): Promise<RecordingPlaylist | undefined> {
  const text = await readFileIfPresent(join(folder, RECORDING_PLAYLIST_FILE));
  return text === undefined ? undefined : parseRecordingPlaylist(text);
}

export async function readRecordingInfo(folder: string): Promise<RecordingInfo | undefined> {
  const text = await readFileIfPresent(join(folder, RECORDING_INFO_FILE));
  return text === undefined ? undefined : parseRecordingInfo(text);
}

async function readFileIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** A thumbnail kept in the folder (see recordingThumbnailName), or undefined when it was never made. */
export async function readRecordingThumbnail(folder: string, name: string): Promise<Buffer | undefined> {
  try {
    return await readFile(join(folder, name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Thumbnails kept in the folder. */
export async function countRecordingThumbnails(folder: string): Promise<number> {
  return (await readdir(folder)).filter((name) => THUMBNAIL_FILE_PATTERN.test(name)).length;
}

/** Kept beside the segments, so that deleting the video removes it too. */
export async function writeRecordingThumbnail(folder: string, name: string, jpeg: Buffer): Promise<void> {
  await writeFileAtomic(join(folder, name), jpeg);
}

/** When the playlist last changed: the last moment the recording is known to have grown. */
export async function playlistModifiedAt(folder: string): Promise<Date | undefined> {
  try {
    return (await stat(join(folder, RECORDING_PLAYLIST_FILE))).mtime;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export async function segmentBytes(folder: string, playlist: RecordingPlaylist): Promise<number> {
  let total = 0;
  for (const segment of playlist.segments) total += (await stat(join(folder, segment.uri))).size;
  return total;
}

/** Segment files (and half-written files) of the folder that `playlist` does not name. */
export async function removeUnlistedSegments(folder: string, playlist: RecordingPlaylist): Promise<void> {
  const listed = new Set(playlist.segments.map((segment) => segment.uri));
  for (const name of await readdir(folder)) {
    if (/^[0-9]+\.ts$/.test(name) ? !listed.has(name) : name.endsWith(TEMPORARY_SUFFIX)) await unlink(join(folder, name)).catch(ignoreMissing);
  }
}

/**
 * Removes the files the recorder writes, then the folder, then the stream's folder if that left
 * it empty. Never recursive: a file someone else put there keeps the folder (rmdir fails).
 */
export async function removeRecording(folder: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    if (entry.isFile() && OWN_FILE_PATTERN.test(entry.name)) await unlink(join(folder, entry.name)).catch(ignoreMissing);
  }
  await rmdir(folder).catch(ignoreMissing);
  await rmdir(join(folder, '..')).catch((error: unknown) => {
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST'].includes(errorCode(error) ?? '')) throw error;
  });
}

/**
 * `RECORDINGS_PATH/.withdrawals/<uid>`: an empty file per removed recording the API has not yet
 * been told of, so that a failed withdrawal is retried, also after a restart. The leading dot
 * keeps it out of listRecordings (no stream name starts with one).
 */
const WITHDRAWALS_FOLDER = '.withdrawals';

/** Notes, before a recording's files go, that the API must unlist it. */
export async function noteWithdrawal(recordingsPath: string, uid: string): Promise<void> {
  await mkdir(join(recordingsPath, WITHDRAWALS_FOLDER), { recursive: true });
  await writeFile(join(recordingsPath, WITHDRAWALS_FOLDER, uid), '');
}

/** The uids whose withdrawal the API has not confirmed yet. */
export async function pendingWithdrawals(recordingsPath: string): Promise<string[]> {
  try {
    return (await readdir(join(recordingsPath, WITHDRAWALS_FOLDER))).filter((name) => VIDEO_UID_PATTERN.test(name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/** The API confirmed the withdrawal. */
export async function clearWithdrawal(recordingsPath: string, uid: string): Promise<void> {
  await unlink(join(recordingsPath, WITHDRAWALS_FOLDER, uid)).catch(ignoreMissing);
}

function ignoreMissing(error: unknown): void {
  if (errorCode(error) !== 'ENOENT') throw error;
}
