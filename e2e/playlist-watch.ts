import HLS from 'hls-parser';

export interface PlaylistSample {
  at: number;
  /** 0 when there was no answer. */
  status: number;
  endlist: boolean;
  discontinuities: number;
  lastSegment: string | undefined;
}

/** Reads a playlist every 250 ms, as a player would, until stopped; each request is bounded. */
export function watchPlaylist(url: string) {
  const samples: PlaylistSample[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const response = await fetch(url, { signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
      const text = response?.status === 200 ? await response.text().catch(() => '') : '';
      if (response?.status !== 200) await response?.body?.cancel().catch(() => undefined);
      const playlist = text ? (HLS.parse(text) as HLS.types.MediaPlaylist) : undefined;
      samples.push({
        at: Date.now(),
        status: response?.status ?? 0,
        endlist: playlist?.endlist ?? false,
        discontinuities: playlist?.segments.filter((segment) => segment.discontinuity).length ?? 0,
        lastSegment: playlist?.segments.at(-1)?.uri,
      });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
