/**
 * The tracks of a CMAF stream as the init segment declares them and fragments refer to them:
 * fixed track IDs (video 1, audio 2, whatever the stream holds) so a new init after a
 * configuration change keeps them, and the timescale each track's times count in.
 */
import type { AudioConfig, VideoConfig } from '../media/stream-config.js';

/** The sequence headers a stream's init segment is made from; at least one is needed. */
export interface CmafTracks {
  video?: VideoConfig;
  audio?: AudioConfig;
}

export interface CmafVideoTrack {
  kind: 'video';
  id: number;
  /** 90 kHz: the RTMP milliseconds convert exactly, and MPEG-TS uses the same clock. */
  timescale: number;
  config: VideoConfig;
}

export interface CmafAudioTrack {
  kind: 'audio';
  id: number;
  /** The sample rate, so every AAC frame lasts exactly 1024 ticks. */
  timescale: number;
  config: AudioConfig;
}

export type CmafTrack = CmafVideoTrack | CmafAudioTrack;

export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;
export const VIDEO_TIMESCALE = 90_000;

/** Video first, then audio: the order of the `trak` boxes and of every fragment's `traf` boxes. */
export function cmafTracksOf(tracks: CmafTracks): CmafTrack[] {
  const list: CmafTrack[] = [];
  if (tracks.video) list.push({ kind: 'video', id: VIDEO_TRACK_ID, timescale: VIDEO_TIMESCALE, config: tracks.video });
  if (tracks.audio) list.push({ kind: 'audio', id: AUDIO_TRACK_ID, timescale: tracks.audio.record.sampleRate, config: tracks.audio });
  if (list.length === 0) throw new RangeError('a CMAF stream needs a video or an audio track');
  return list;
}

/** RFC 6381 codecs for a playlist's CODECS or an MPD's @codecs, e.g. `avc1.64001f,mp4a.40.2`. */
export function cmafCodecs(tracks: readonly CmafTrack[]): string {
  return tracks.map((track) => track.config.info.codec).join(',');
}
