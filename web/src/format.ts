/** How the dashboard writes figures: pure functions, no DOM, tested in Node. */
import type { AbrStatus, Pull, Storage } from './api-types.js';

/** 2500000 -> "2.5 Mb/s"; 96000 -> "96 kb/s". */
export function formatBitrate(bitsPerSecond: number): string {
  if (bitsPerSecond >= 1_000_000) return `${(bitsPerSecond / 1_000_000).toFixed(1)} Mb/s`;
  if (bitsPerSecond >= 1_000) return `${Math.round(bitsPerSecond / 1_000)} kb/s`;
  return `${Math.round(bitsPerSecond)} b/s`;
}

/** 1536 -> "1.5 KB"; sizes as a file manager shows them (powers of 1024). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * The caller's recording storage in words; `full` when the quota is reached, so that new
 * sessions go live unrecorded (the API's RECORDING_QUOTA_BYTES or the admin's override).
 */
export function storageWords({ usedBytes, quotaBytes }: Storage): { text: string; full: boolean } {
  if (quotaBytes === null) return { text: `Your recordings take ${formatBytes(usedBytes)}.`, full: false };
  const taken = `Your recordings take ${formatBytes(usedBytes)} of your ${formatBytes(quotaBytes)} quota`;
  if (usedBytes < quotaBytes) return { text: `${taken}.`, full: false };
  return { text: `${taken}: new sessions go live but are not recorded. Delete recordings to record again.`, full: true };
}

/** Seconds as "1:02:03" or "2:03". */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** How long ago an ISO time was, from `nowMs`: "live for 2:03". */
export function elapsedSince(iso: string, nowMs: number): string {
  return formatDuration((nowMs - Date.parse(iso)) / 1000);
}

/** The live badge's words: its state (a CSS class too), its text and its tooltip. */
export function liveStateWords(
  lifecycle: { live: boolean; live_since: string | null; publisher: 'connected' | 'away' | null },
  nowMs: number,
): { state: 'offline' | 'live' | 'away'; text: string; title: string } {
  if (!lifecycle.live) return { state: 'offline', text: 'Offline', title: 'Nothing is live: viewers get an empty answer (204)' };
  const since = lifecycle.live_since ? ` ${elapsedSince(lifecycle.live_since, nowMs)}` : '';
  if (lifecycle.publisher === 'away') {
    return {
      state: 'away',
      text: `● Publisher away${since}`,
      title: 'The publisher left: viewers see the fallback video (when one is set) until it returns',
    };
  }
  return { state: 'live', text: `● Live${since}`, title: 'The publisher is sending and viewers see it live' };
}

export interface IngestVideo {
  codec: string;
  /** Null when the origin could not read the encoder's SPS. */
  width: number | null;
  height: number | null;
  fps: number | null;
}

export interface IngestAudio {
  codec: string;
  sample_rate: number;
  channels: number;
}

/** "1280x720 30 fps" from the ingest's video; frame rates shown to two decimals only when fractional. */
export function formatVideo(video: IngestVideo | null): string {
  if (!video) return 'no video';
  const size = video.width === null || video.height === null ? 'size unknown' : `${video.width}x${video.height}`;
  const fps = video.fps === null ? '' : ` ${Number.isInteger(video.fps) ? video.fps : video.fps.toFixed(2)} fps`;
  return `${size}${fps}`;
}

/** The RFC 6381 codec strings as people say them: "H.264 High, AAC-LC 48 kHz stereo". */
export function formatCodecs(video: IngestVideo | null, audio: IngestAudio | null): string {
  const parts: string[] = [];
  if (video) parts.push(videoCodecName(video.codec));
  if (audio) parts.push(`${audioCodecName(audio.codec)} ${audio.sample_rate / 1000} kHz ${channelName(audio.channels)}`);
  return parts.length > 0 ? parts.join(', ') : 'unknown';
}

const AVC_PROFILES: Record<string, string> = { '42': 'Baseline', '4d': 'Main', '58': 'Extended', '64': 'High' };

function videoCodecName(codec: string): string {
  const avc = /^avc[13]\.([0-9a-f]{2})/i.exec(codec);
  if (avc?.[1]) return `H.264 ${AVC_PROFILES[avc[1].toLowerCase()] ?? ''}`.trim();
  if (/^(hvc1|hev1)/.test(codec)) return 'H.265';
  return codec;
}

function audioCodecName(codec: string): string {
  if (codec === 'mp4a.40.2') return 'AAC-LC';
  if (codec === 'mp4a.40.5') return 'HE-AAC';
  if (codec === 'mp4a.40.29') return 'HE-AACv2';
  if (codec === 'mp4a.40.34' || codec === 'mp4a.6B') return 'MP3';
  return codec;
}

function channelName(channels: number): string {
  if (channels === 1) return 'mono';
  if (channels === 2) return 'stereo';
  return `${channels} ch`;
}

/** A stream's ABR ladder as its streamer reads it (the origin's state in lifecycle). */
export function formatAbr(abr: AbrStatus): string {
  const renditions = abr.renditions.join(', ');
  switch (abr.state) {
    case 'running':
      return `Source + ${renditions}`;
    case 'starting':
      return `Starting: source + ${renditions}`;
    case 'restarting':
      return `Restarting after a stop (${abr.restarts} so far${abr.last_stop ? `: ${abr.last_stop}` : ''}); the source plays on`;
    case 'source-only':
      return "Source only: no rendition is below the source's height";
    case 'waiting-for-source':
      return 'Waiting for the video';
    case 'over-limit':
      return 'Off for this broadcast: the origin already transcodes as many streams as it may';
    case 'ended':
      return 'Ended';
    default:
      return abr.state;
  }
}

/** A pull source's status as its streamer reads it (the origin's report in lifecycle). */
export function formatPullStatus(status: Pull['status']): string {
  if (!status) return 'Waiting for an origin to take it on';
  switch (status.state) {
    case 'connecting':
      return 'Connecting to the source';
    case 'live':
      return 'Live: the platform is publishing the source';
    case 'retrying': {
      const tries = `${status.attempts} ${status.attempts === 1 ? 'attempt' : 'attempts'} so far`;
      return `Retrying (${tries}${status.last_error ? `; last error: ${status.last_error}` : ''})`;
    }
    default:
      return status.state;
  }
}
