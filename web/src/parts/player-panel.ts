import type { ApiClient } from '../api-client.js';
import type { Stream } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import { playHls } from '../hls-playback.js';

/**
 * The stream played as a viewer sees it: hls.js on the edge's playback URL (a fresh signed URL
 * when the stream requires one). It starts when the stream goes live and starts again after a
 * fatal error while the stream is still live.
 */
export class PlayerPanel {
  private readonly video = h('video', { controls: true, muted: true, playsinline: true, 'data-testid': 'player' });
  private readonly state = h('p', { class: 'hint', 'data-testid': 'player-state' }, 'Waiting for the stream to go live.');
  private readonly link = h('code', { class: 'url' });
  readonly element = h('div', { class: 'player' }, this.video, this.state, h('p', {}, 'Playback URL: ', this.link));
  private stop: (() => void) | undefined;
  private starting = false;
  private disposed = false;

  constructor(
    private readonly api: ApiClient,
    private readonly stream: () => Stream,
  ) {
    this.video.muted = true;
    this.video.addEventListener('playing', () => this.say('Playing.'));
    this.video.addEventListener('ended', () => this.say('The stream ended.'));
  }

  /** Called with each lifecycle reading. */
  update(live: boolean): void {
    if (live && !this.stop && !this.starting && !this.disposed) void this.start();
  }

  dispose(): void {
    this.disposed = true;
    this.stop?.();
    this.stop = undefined;
  }

  private async start(): Promise<void> {
    this.starting = true;
    try {
      const url = await this.playbackUrl();
      if (this.disposed) return;
      // The URL may carry a token: shown without it.
      replaceChildren(this.link, url.split('?')[0] ?? url);
      const stop = playHls(
        this.video,
        url,
        {
          onFatal: (details) => {
            this.say(`Playback stopped (${details}); retrying while the stream is live.`);
            if (this.stop === stop) this.stop = undefined;
          },
        },
        { liveSyncDurationCount: 3 },
      );
      this.stop = stop;
      this.say('Loading…');
    } catch (error) {
      this.say(error instanceof Error ? error.message : 'The playback URL could not be read.');
    } finally {
      this.starting = false;
    }
  }

  private async playbackUrl(): Promise<string> {
    const { id, require_signed_urls: signed } = this.stream();
    if (signed) return (await this.api.post<{ playback_url: string }>(`/streams/${id}/playback-token`, {})).playback_url;
    const { playlists } = await this.api.get<{ playlists: { protocol: string; url: string }[] }>(`/streams/${id}/playlists`);
    const hls = playlists.find((playlist) => playlist.protocol === 'hls');
    if (!hls) throw new Error('The API lists no HLS playback URL for this stream.');
    return hls.url;
  }

  private say(text: string): void {
    replaceChildren(this.state, text);
  }
}
