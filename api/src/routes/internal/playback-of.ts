import type { OpenNames } from '../../publish/open-names.js';
import { isStreamIdShaped } from '../../schemas.js';
import { OPEN_PLAYBACK, type PlaybackPolicy, type StreamStore } from '../../store/stream-store.js';

/**
 * Who may play a stream by its public name; null for a name the API does not know: an id whose
 * stream is gone (deleted while its origin still served or held it: nobody may play it any more)
 * or a name that is not open (ALLOWED_STREAMS). Open names never take the shape of an id.
 */
export async function playbackOf(
  streams: Pick<StreamStore, 'playback'>,
  openNames: Pick<OpenNames, 'allows'>,
  name: string,
): Promise<PlaybackPolicy | null> {
  if (isStreamIdShaped(name)) return streams.playback(name);
  return openNames.allows(name) ? OPEN_PLAYBACK : null;
}
