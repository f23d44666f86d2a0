/** What a follower of a part hears: each chunk as it is made, then how the part ended. */
export type PartProgress =
  | { kind: 'chunk'; data: Uint8Array }
  /** Every chunk has come: the part is stored under its name and listed. */
  | { kind: 'complete' }
  /** The part will never be complete (the stream was handed over or closed): what came is not a part. */
  | { kind: 'dropped' };

export type PartFollower = (progress: PartProgress) => void;

/**
 * The part the playlist hints (EXT-X-PRELOAD-HINT) while the fragmenter makes it, chunk by
 * chunk, and the requests that follow it: each follower gets every chunk once, in order, from
 * the first, then `complete` or `dropped`. Followers may come before the first chunk. No I/O.
 * Holds no bytes of its own: the chunks are the buffers the part is stored as.
 */
export class GrowingPart {
  private readonly chunks: Uint8Array[] = [];
  private readonly followers = new Set<PartFollower>();
  private ended = false;

  constructor(readonly uri: string) {}

  get followerCount(): number {
    return this.followers.size;
  }

  /** Replays the chunks so far to `follower`, then tells it the rest as it comes. Returns its unfollow. */
  follow(follower: PartFollower): () => void {
    if (this.ended) throw new Error(`part ${this.uri} has ended: read it whole`);
    for (const data of this.chunks) follower({ kind: 'chunk', data });
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  append(chunks: readonly Uint8Array[]): void {
    for (const data of chunks) {
      this.chunks.push(data);
      for (const follower of this.followers) follower({ kind: 'chunk', data });
    }
  }

  /** The chunks appended so far. */
  get chunkCount(): number {
    return this.chunks.length;
  }

  /** Tells every follower, once; later calls do nothing. */
  end(outcome: 'complete' | 'dropped'): void {
    if (this.ended) return;
    this.ended = true;
    const followers = [...this.followers];
    this.followers.clear();
    for (const follower of followers) follower({ kind: outcome });
  }
}
