import { getOptions, parse, setOptions } from 'hls-parser';

/**
 * What a manifest says about its stream, as far as discovery cares:
 * - `live`: a media playlist with at least one segment and no ENDLIST: viewers can be sent here;
 * - `ended`: the playlist carries `#EXT-X-ENDLIST`: the publisher stopped;
 * - `not-ready`: anything else (empty, half-written, master playlist, not a playlist at all).
 */
export type PlaylistState =
  | { kind: 'live'; targetDurationSeconds: number; durationSeconds: number }
  | { kind: 'ended'; durationSeconds: number }
  | { kind: 'not-ready'; reason: string };

/**
 * Reads a manifest's text. Never throws: a file that does not parse is `not-ready`, so the next
 * write decides. hls-parser runs in its lenient mode (strict mode rejects live playlists for
 * harmless spec slips, such as an EXTINF that rounds above the target duration, which would keep a
 * watchable stream off the API); the checks below cover what lenient mode lets through.
 */
export function readPlaylistState(text: string): PlaylistState {
  if (!text.startsWith('#EXTM3U')) return notReady('does not start with #EXTM3U');
  let playlist: ReturnType<typeof parse>;
  try {
    playlist = parseQuietly(text);
  } catch (error) {
    return notReady(error instanceof Error ? error.message : String(error));
  }
  if (playlist.isMasterPlaylist) return notReady('master playlist: the manifest must be a media playlist');
  const durationSeconds = playlist.segments.reduce((total, segment) => total + (segment.duration > 0 ? segment.duration : 0), 0);
  if (playlist.endlist) return { kind: 'ended', durationSeconds };
  if (!(playlist.targetDuration > 0)) return notReady('no #EXT-X-TARGETDURATION');
  if (playlist.segments.length === 0) return notReady('no segment yet');
  // A cut-off file ends on an #EXTINF without its URI line; lenient mode keeps it with uri ''.
  if (playlist.segments.some((segment) => !segment.uri)) return notReady('segment without URI');
  return { kind: 'live', targetDurationSeconds: playlist.targetDuration, durationSeconds };
}

/** A multivariant playlist (an ABR stream's `index.m3u8`): its variants, not it, tell the stream's state. */
export function isMultivariantPlaylist(text: string): boolean {
  return /^#EXT-X-STREAM-INF:/m.test(text);
}

function notReady(reason: string): PlaylistState {
  return { kind: 'not-ready', reason };
}

/**
 * hls-parser keeps its options in module state and, in lenient mode, prints every complaint to
 * stderr. Parsing is synchronous, so setting `silent` around the call and restoring the caller's
 * options afterwards cannot leak into another caller.
 */
function parseQuietly(text: string): ReturnType<typeof parse> {
  const previous = getOptions();
  setOptions({ strictMode: false, silent: true });
  try {
    return parse(text);
  } finally {
    setOptions({ strictMode: previous.strictMode, silent: previous.silent });
  }
}
