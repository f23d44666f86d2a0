import {
  listRecordings,
  noteWithdrawal,
  playlistModifiedAt,
  readRecordingInfo,
  readRecordingPlaylist,
  removeRecording,
  removeUnlistedSegments,
  segmentBytes,
  writeRecording,
  type StoredRecording,
} from './recording-files.js';
import type { RecordingInfo } from './recording-info.js';
import { durationSecondsOf } from './recording-playlist.js';

export interface RecoveryResult {
  /** Recordings a previous run left open, now closed (VOD, ENDLIST) over the segments they list. */
  closed: string[];
  /** Folders with no listed segment (the run stopped before its first one), removed. */
  removed: string[];
}

/**
 * At start-up, before anything records: a recording a previous run left open (it crashed, or was
 * killed) is closed over the segments its playlist lists, so it plays up to the crash. Its end is
 * when its playlist last changed. Call once; RECORDINGS_PATH must belong to this origin.
 */
export async function closeUnfinishedRecordings(recordingsPath: string): Promise<RecoveryResult> {
  const result: RecoveryResult = { closed: [], removed: [] };
  for (const recording of await listRecordings(recordingsPath)) {
    const playlist = await readRecordingPlaylist(recording.folder);
    if (!playlist || playlist.segments.length === 0) {
      await removeRecording(recording.folder);
      result.removed.push(recording.folder);
      continue;
    }
    if (playlist.ended) continue;
    // Kept by the crashed run but never listed: not part of the video.
    await removeUnlistedSegments(recording.folder, playlist);
    playlist.ended = true;
    const endedAt = (await playlistModifiedAt(recording.folder)) ?? new Date();
    const info: RecordingInfo = {
      ...((await readRecordingInfo(recording.folder).catch(() => undefined)) ?? blankInfo(recording, endedAt)),
      ended: endedAt.toISOString(),
      duration_s: durationSecondsOf(playlist),
      size_bytes: await segmentBytes(recording.folder, playlist),
    };
    await writeRecording(recording.folder, playlist, info);
    result.closed.push(recording.folder);
  }
  return result;
}

/** recording.json lost (the crash came between the playlist and it): what the folder still tells. */
function blankInfo({ stream, uid }: StoredRecording, endedAt: Date): RecordingInfo {
  return { uid, stream, created: endedAt.toISOString(), ended: null, duration_s: 0, size_bytes: 0, width: null, height: null };
}

/**
 * RECORDING_RETENTION_DAYS: removes closed recordings that ended longer ago than `retentionMs`.
 * Open ones (no end yet) and folders whose recording.json cannot be read are left alone. Each
 * removal is noted first (noteWithdrawal), so the API hears of it even if telling it fails now.
 */
export async function removeExpiredRecordings(recordingsPath: string, retentionMs: number, now: number): Promise<string[]> {
  const removed: string[] = [];
  for (const recording of await listRecordings(recordingsPath)) {
    const info = await readRecordingInfo(recording.folder).catch(() => undefined);
    if (!info?.ended || Date.parse(info.ended) > now - retentionMs) continue;
    await noteWithdrawal(recordingsPath, recording.uid);
    await removeRecording(recording.folder);
    removed.push(recording.folder);
  }
  return removed;
}
