/**
 * A recording's playlist (RFC 8216) as typed data: `EXT-X-PLAYLIST-TYPE:EVENT` while the video
 * grows (players may start from the beginning and follow the end), `VOD` with `EXT-X-ENDLIST` once
 * it is closed. Pure: text in, data out and back; the recorder owns the files.
 */

/** EXT-X-VERSION 3: the lowest version that allows decimal EXTINF durations. */
const PLAYLIST_VERSION = 3;

export interface RecordingSegment {
  /** File name beside the playlist, e.g. `0.ts`. */
  uri: string;
  /** Seconds, three decimals as written. */
  durationSeconds: number;
  /** A new publish session starts here (the publisher came back within the timeout). */
  discontinuity: boolean;
}

export interface RecordingPlaylist {
  /** The segmenter's target; the playlist says the larger of it and the longest segment, rounded. */
  targetDurationSeconds: number;
  segments: RecordingSegment[];
  /** VOD with ENDLIST: nothing will be added. */
  ended: boolean;
}

export class RecordingPlaylistError extends Error {
  readonly code = 'LIVE_ERR_RECORDING_PLAYLIST';
  override readonly name = 'RecordingPlaylistError';
  constructor(line: number, problem: string) {
    super(`recording playlist line ${line}: ${problem}`);
  }
}

/** RFC 8216 §4.3.3.1: the target is at least every EXTINF rounded to the nearest integer. */
export function targetDurationOf(playlist: RecordingPlaylist): number {
  return playlist.segments.reduce((target, segment) => Math.max(target, Math.round(segment.durationSeconds)), playlist.targetDurationSeconds);
}

/** Total media time, in whole milliseconds summed, so decimal durations add up exactly. */
export function durationSecondsOf(playlist: RecordingPlaylist): number {
  return playlist.segments.reduce((sum, segment) => sum + Math.round(segment.durationSeconds * 1000), 0) / 1000;
}

export function stringifyRecordingPlaylist(playlist: RecordingPlaylist): string {
  const lines = [
    '#EXTM3U',
    `#EXT-X-VERSION:${PLAYLIST_VERSION}`,
    `#EXT-X-TARGETDURATION:${targetDurationOf(playlist)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    `#EXT-X-PLAYLIST-TYPE:${playlist.ended ? 'VOD' : 'EVENT'}`,
  ];
  for (const segment of playlist.segments) {
    if (segment.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    lines.push(`#EXTINF:${segment.durationSeconds.toFixed(3)},`, segment.uri);
  }
  if (playlist.ended) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

const SEGMENT_URI = /^[0-9]+\.ts$/;

/**
 * Reads back what stringifyRecordingPlaylist wrote (the files are written atomically, so a whole
 * one); anything else is a RecordingPlaylistError naming the line.
 */
export function parseRecordingPlaylist(text: string): RecordingPlaylist {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== '#EXTM3U') throw new RecordingPlaylistError(1, 'expected #EXTM3U');
  const playlist: RecordingPlaylist = { targetDurationSeconds: 0, segments: [], ended: false };
  let type: string | undefined;
  let discontinuity = false;
  let duration: number | undefined;
  lines.forEach((line, index) => {
    const number = index + 1;
    const fail = (problem: string): never => {
      throw new RecordingPlaylistError(number, `${problem}: ${JSON.stringify(line.slice(0, 80))}`);
    };
    if (playlist.ended) fail('nothing may follow EXT-X-ENDLIST');
    if (index === 0) {
      // #EXTM3U, checked above.
    } else if (line.startsWith('#EXT-X-VERSION:') || line === '#EXT-X-MEDIA-SEQUENCE:0') {
      // Always what this module writes.
    } else if (line.startsWith('#EXT-X-TARGETDURATION:')) {
      playlist.targetDurationSeconds = wholeNumber(line.slice('#EXT-X-TARGETDURATION:'.length)) ?? fail('bad target duration');
    } else if (line.startsWith('#EXT-X-PLAYLIST-TYPE:')) {
      type = line.slice('#EXT-X-PLAYLIST-TYPE:'.length);
      if (type !== 'EVENT' && type !== 'VOD') fail('expected EVENT or VOD');
    } else if (line === '#EXT-X-DISCONTINUITY') {
      discontinuity = true;
    } else if (line.startsWith('#EXTINF:')) {
      const value = Number(line.slice('#EXTINF:'.length).replace(/,$/, ''));
      if (!Number.isFinite(value) || value <= 0) fail('bad segment duration');
      duration = value;
    } else if (line === '#EXT-X-ENDLIST') {
      playlist.ended = true;
    } else if (SEGMENT_URI.test(line)) {
      if (duration === undefined) fail('a segment without #EXTINF');
      playlist.segments.push({ uri: line, durationSeconds: duration as number, discontinuity });
      duration = undefined;
      discontinuity = false;
    } else {
      fail('not a line of a recording playlist');
    }
  });
  if (type === undefined) throw new RecordingPlaylistError(lines.length, 'no #EXT-X-PLAYLIST-TYPE');
  if ((type === 'VOD') !== playlist.ended) throw new RecordingPlaylistError(lines.length, `${type} playlist ${playlist.ended ? 'with' : 'without'} ENDLIST`);
  if (playlist.targetDurationSeconds < 1) throw new RecordingPlaylistError(lines.length, 'no #EXT-X-TARGETDURATION');
  return playlist;
}

function wholeNumber(text: string): number | undefined {
  return /^[0-9]{1,6}$/.test(text) ? Number(text) : undefined;
}
