/**
 * Going live from the browser, the parts that are decisions rather than I/O: which WebM the page's
 * MediaRecorder makes, the WebSocket URL from the ingest's template and the stream's key, and what
 * the ingest server's close of the socket means, in words. Pure, tested in Node.
 */

const KEY_PLACEHOLDER = '{stream_key}';

/**
 * Best first. H.264 is copied by the origin (no encoding there); VP8 and VP9 cost it an x264
 * encode, so they are only the fallback for browsers that cannot record H.264 in WebM.
 */
export const RECORDER_TYPES = [
  'video/webm;codecs=h264,opus',
  'video/webm;codecs=vp8,opus',
  'video/webm;codecs=vp9,opus',
  'video/webm',
] as const;

/** The first recorder type the browser can make (MediaRecorder.isTypeSupported), or undefined. */
export function pickRecorderType(isSupported: (type: string) => boolean): string | undefined {
  return RECORDER_TYPES.find((type) => isSupported(type));
}

/** The ingest's URL template with the key put in (as a query value, so percent-encoded). */
export function webSocketIngestUrl(template: string, streamKey: string): string {
  return template.split(KEY_PLACEHOLDER).join(encodeURIComponent(streamKey));
}

/**
 * Why the broadcast stopped, from the WebSocket's close: the codes and reasons the origin sends
 * (README: WebSocket ingest), and 1006 (no close frame) for a refused or lost connection. A browser
 * is never shown the status of a refused upgrade, so "refused" names the likely causes.
 */
export function describeIngestClose(code: number, reason: string, opened: boolean): string {
  if (code === 1006 && !opened) {
    return (
      'The ingest server refused the connection or could not be reached: the stream key may have been reset, ' +
      'the stream may be live from another encoder, or the server may be full. Reload the page and try again.'
    );
  }
  if (code === 1006) return 'The connection to the ingest server was lost (network or server). Start again to go on.';
  if (code === 1001) return 'The ingest server is shutting down. Start again to go on with another one.';
  if (code === 1009) return 'A piece of video was larger than the ingest server accepts. Lower the video quality and start again.';
  if (code === 1011) return 'The ingest server could not keep up with this video. Start again, or share a smaller window or camera picture.';
  if (code === 1008) {
    if (reason.startsWith('idle')) return 'The ingest server got no video from this browser for too long, so it ended the broadcast.';
    if (reason.includes('bytes/s')) return 'This browser sent more data per second than the platform accepts. Lower the video quality and start again.';
    if (reason === 'publish refused') return 'The platform ended this broadcast: the stream key was reset or the stream was deleted.';
    return `The ingest server ended the broadcast: ${reason || 'its rules were not met'}.`;
  }
  return `The ingest server closed the connection (code ${code}${reason ? `: ${reason}` : ''}).`;
}
