/**
 * ffmpeg's command line for one pull: read the source, copy its H.264 + AAC into FLV on stdout
 * (the tags an RTMP publisher sends). No I/O.
 */

/** Network reads that stall this long end ffmpeg (µs), so a silent source is retried rather than waited on. */
const READ_TIMEOUT_US = 10_000_000;

/**
 * A media file plays at its own pace (`-re`): read as fast as the network allows, an hour-long
 * file would be "live" for seconds. Live sources (RTMP, SRT, an HLS playlist) pace themselves.
 */
export function isMediaFile(url: URL): boolean {
  return (url.protocol === 'http:' || url.protocol === 'https:') && !url.pathname.toLowerCase().endsWith('.m3u8');
}

export function pullFfmpegArgs(source: string): string[] {
  const url = new URL(source);
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    ...(isMediaFile(url) ? ['-re'] : []),
    '-rw_timeout', String(READ_TIMEOUT_US),
    '-i', source,
    // The first video and audio tracks, as they are: no transcoding in a pull.
    '-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy',
    '-f', 'flv', 'pipe:1',
  ];
}
