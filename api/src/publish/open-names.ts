import { isStreamIdShaped } from '../schemas.js';
import { ANY_STREAM } from '../settings.js';
import { STREAM_KEY_PREFIX } from './stream-key.js';

/**
 * ALLOWED_STREAMS: names that publish without a stream key (the seed's flow). They share the
 * namespace of packaged streams with stream ids, so a name shaped like a stream id or like a
 * stream key is never open, even with `*`: nobody can publish into a managed stream by its id.
 */
export class OpenNames {
  private readonly any: boolean;
  private readonly names: ReadonlySet<string>;

  constructor(allowed: readonly string[]) {
    this.any = allowed.includes(ANY_STREAM);
    this.names = new Set(allowed);
  }

  allows(name: string): boolean {
    if (name.startsWith(STREAM_KEY_PREFIX) || isStreamIdShaped(name)) return false;
    return this.any || this.names.has(name);
  }
}
