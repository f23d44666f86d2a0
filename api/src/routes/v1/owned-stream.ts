import { StreamNotFoundError } from '../../errors.js';
import type { Principal } from '../../auth/authenticator.js';
import type { Stream, StreamStore } from '../../store/stream-store.js';

/** The principal's stream; 404 when it does not exist or belongs to someone else (same answer). */
export async function ownedStream(streams: Pick<StreamStore, 'get'>, principal: Principal, id: string): Promise<Stream> {
  const stream = await streams.get(principal.userId, id);
  if (!stream) throw new StreamNotFoundError(id);
  return stream;
}
