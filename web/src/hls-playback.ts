import Hls from './vendor/hls.min.mjs';

/** What the page's players report to the user. */
export interface PlaybackEvents {
  /** A fatal error: hls.js has been destroyed; the caller may start again. */
  onFatal(details: string): void;
}

/**
 * Plays `url` in `video` with hls.js (Safari's own HLS where Media Source Extensions are missing),
 * starting as soon as the playlist is read. Returns what stops it.
 */
export function playHls(video: HTMLVideoElement, url: string, events: PlaybackEvents, config: Partial<Hls['config']> = {}): () => void {
  if (!Hls.isSupported()) {
    video.src = url;
    void video.play().catch(() => undefined);
    return () => video.removeAttribute('src');
  }
  const hls = new Hls(config);
  hls.on(Hls.Events.MANIFEST_PARSED, () => void video.play().catch(() => undefined));
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data.fatal) return;
    hls.destroy();
    events.onFatal(data.details);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  return () => hls.destroy();
}

/** A playback URL with the stream's token added (recordings take the stream's token, as its live playlist does). */
export function withToken(url: string, token: string | null): string {
  if (!token) return url;
  const parsed = new URL(url);
  parsed.searchParams.set('token', token);
  return parsed.toString();
}
