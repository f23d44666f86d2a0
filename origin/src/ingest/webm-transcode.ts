/**
 * What the WebSocket ingest asks ffmpeg to do with a browser's MediaRecorder WebM: H.264 is copied
 * (MediaRecorder in Chromium can send it), VP8/VP9 is encoded to H.264, Opus always to AAC (FLV
 * and HLS have no Opus). No I/O.
 */

const H264_CODEC_ID = new TextEncoder().encode('V_MPEG4/ISO/AVC');

/** Whether a WebM's start (EBML header and Tracks, MediaRecorder's first chunk) names H.264 video. */
export function webmHasH264Video(start: Uint8Array): boolean {
  outer: for (let i = 0; i + H264_CODEC_ID.byteLength <= start.byteLength; i += 1) {
    for (let j = 0; j < H264_CODEC_ID.byteLength; j += 1) if (start[i + j] !== H264_CODEC_ID[j]) continue outer;
    return true;
  }
  return false;
}

/** ffmpeg arguments: WebM on stdin, FLV (H.264 + AAC) on stdout, errors only on stderr. */
export function webmToFlvArgs({ copyVideo }: { copyVideo: boolean }): string[] {
  const video = copyVideo
    ? ['-c:v', 'copy']
    : // Keyframes every 2 s so the packager can cut segments at its target duration.
      ['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-force_key_frames', 'expr:gte(t,n_forced*2)'];
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-fflags', '+genpts', '-f', 'webm', '-i', 'pipe:0',
    '-map', '0:v:0?', '-map', '0:a:0?',
    ...video,
    '-c:a', 'aac', '-b:a', '128k', '-ar', '48000',
    '-f', 'flv', '-flvflags', 'no_duration_filesize', 'pipe:1',
  ];
}
