/**
 * The dashboard's Content-Security-Policy: its own scripts and styles only (no inline code, so an
 * injected string cannot run), API calls to itself, playlists and segments from the edge, the
 * recordings' thumbnails from the edge, media through MediaSource (blob:) and hls.js's worker
 * (blob:), the go-live section's WebSocket to the ingest (its ws:// or wss:// origin, nothing
 * else); never framed by another site.
 */
export function contentSecurityPolicy(playbackOrigin: string, webSocketIngestOrigin: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data: ${playbackOrigin}`,
    `connect-src 'self' ${playbackOrigin} ${webSocketIngestOrigin}`,
    "media-src 'self' blob:",
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
