import type { Lifecycle } from '../api-types.js';
import { definitionList, h } from '../dom.js';
import { formatAbr, formatBitrate, formatCodecs, formatVideo } from '../format.js';

/** The lifecycle as a streamer reads it: live since when, on which origin, what the encoder sends. */
export function liveDetails(lifecycle: Lifecycle): HTMLElement {
  if (!lifecycle.live) {
    return h('p', { 'data-testid': 'lifecycle' }, 'Not live. Start streaming with the settings under "Go live"; this page updates by itself.');
  }
  const ingest = lifecycle.ingest;
  return definitionList(
    [
      ['Live since', lifecycle.live_since ? new Date(lifecycle.live_since).toLocaleString() : '–'],
      ['Origin', lifecycle.origin ?? '–'],
      ['Bitrate', ingest ? formatBitrate(ingest.bitrate_bps) : 'measuring…'],
      ['Video', ingest ? formatVideo(ingest.video) : '–'],
      ['Codecs', ingest ? formatCodecs(ingest.video, ingest.audio) : '–'],
      ...(ingest?.abr ? [['Adaptive bitrate', formatAbr(ingest.abr)] as [string, string]] : []),
    ],
    { 'data-testid': 'lifecycle' },
  );
}
