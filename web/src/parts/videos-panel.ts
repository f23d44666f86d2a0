import type { ApiClient } from '../api-client.js';
import type { Me, Stream, Video } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import { formatBytes, formatDuration, storageWords } from '../format.js';
import { playHls, withToken } from '../hls-playback.js';
import { repeat } from '../repeat.js';
import { Notice, act } from './notice.js';

/** Recordings change when a session starts or ends: read again this often. */
const REFRESH_MS = 5000;
/** Pixels of a recording's preview picture (the edge's thumbnail at that height: a few KB). */
const PREVIEW_HEIGHT = 54;

/**
 * The stream's videos (seed 004): the session being recorded and the recorded ones, newest first,
 * each replayable here through the edge and deletable after a confirmation.
 */
export class VideosPanel {
  private readonly notice = new Notice();
  private readonly rows = h('tbody', {});
  private readonly table = h(
    'table',
    { 'data-testid': 'videos' },
    h('thead', {}, h('tr', {}, ...['Recorded', 'State', 'Duration', 'Size', ''].map((title) => h('th', {}, title)))),
    this.rows,
  );
  private readonly empty = h('p', { class: 'hint' }, 'No recordings yet: each live session is recorded while recording is on (Settings).');
  /** The caller's recordings against their quota: why a session is not recorded when it is full. */
  private readonly storage = h('p', { class: 'hint', 'data-testid': 'storage', hidden: true });
  private readonly replay = h('video', { controls: true, muted: true, playsinline: true, hidden: true, 'data-testid': 'replay' });
  readonly element = h(
    'section',
    { class: 'card player', 'data-testid': 'recordings' },
    h('h2', {}, 'Recordings'),
    h('div', { class: 'scroll' }, this.table),
    this.empty,
    this.storage,
    this.replay,
    this.notice.element,
  );
  private readonly stopRefresh: () => void;
  private stopReplay: (() => void) | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly stream: () => Stream,
  ) {
    this.stopRefresh = repeat(() => this.refresh(), REFRESH_MS);
  }

  dispose(): void {
    this.stopRefresh();
    this.stopReplay?.();
  }

  private async refresh(): Promise<void> {
    try {
      const [{ data }, me] = await Promise.all([this.api.get<{ data: Video[] }>(`/streams/${this.stream().id}/videos`), this.api.get<Me>('/me')]);
      const storage = storageWords(me.storage);
      this.storage.className = storage.full ? 'notice error' : 'hint';
      this.storage.hidden = false;
      replaceChildren(this.storage, storage.text);
      this.empty.hidden = data.length > 0;
      this.table.hidden = data.length === 0;
      replaceChildren(this.rows, ...data.map((video) => this.row(video)));
    } catch (error) {
      this.notice.error(error);
    }
  }

  private row(video: Video): HTMLTableRowElement {
    const recording = video.status.state === 'live-inprogress';
    const play = h('button', { type: 'button', class: 'secondary', disabled: !video.readyToStream && !recording }, 'Play');
    play.addEventListener('click', () => void act(play, this.notice, () => this.play(video)));
    const remove = h('button', { type: 'button', class: 'danger', disabled: recording }, 'Delete');
    remove.addEventListener('click', () => {
      if (!confirm(`Delete the recording of ${new Date(video.created).toLocaleString()}? It cannot be played again.`)) return;
      void act(remove, this.notice, async () => {
        await this.api.delete(`/videos/${video.uid}`);
        await this.refresh();
      });
    });
    const size = video.input.width > 0 ? `${video.input.width}x${video.input.height}, ` : '';
    return h(
      'tr',
      { 'data-video-uid': video.uid },
      h('td', { class: 'recorded' }, this.preview(video), new Date(video.created).toLocaleString()),
      h('td', {}, h('span', { class: `badge ${recording ? 'live' : 'push-idle'}`, 'data-state': video.status.state }, recording ? 'recording' : 'ready')),
      h('td', {}, video.duration >= 0 ? formatDuration(video.duration) : '–'),
      h('td', {}, `${size}${formatBytes(video.size)}`),
      h('td', { class: 'actions' }, play, remove),
    );
  }

  /**
   * A ready video's first frame, from the edge (cached there for good). Not for a stream that
   * requires signed URLs: each refresh would need a token. A page its allowed origins refuse
   * shows none.
   */
  private preview(video: Video): HTMLImageElement | undefined {
    if (video.status.state !== 'ready' || this.stream().require_signed_urls) return undefined;
    const image = h('img', { class: 'thumbnail', src: `${video.thumbnail}?height=${PREVIEW_HEIGHT}`, alt: '', height: PREVIEW_HEIGHT, 'data-testid': 'thumbnail' });
    image.addEventListener('error', () => image.remove());
    return image;
  }

  private async play(video: Video): Promise<void> {
    const stream = this.stream();
    let token: string | null = null;
    if (stream.require_signed_urls) {
      const { playback_url: url } = await this.api.post<{ playback_url: string }>(`/streams/${stream.id}/playback-token`, {});
      token = new URL(url).searchParams.get('token');
    }
    this.stopReplay?.();
    this.replay.hidden = false;
    this.stopReplay = playHls(this.replay, withToken(video.playback.hls, token), {
      onFatal: (details) => this.notice.failure(`The recording could not be played (${details}). Try again in a moment.`),
    });
  }
}
