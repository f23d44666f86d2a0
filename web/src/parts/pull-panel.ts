import type { ApiClient } from '../api-client.js';
import type { Pull } from '../api-types.js';
import { definitionList, h, replaceChildren } from '../dom.js';
import { formatPullStatus } from '../format.js';
import { Notice, act } from './notice.js';

/**
 * Pull from a source: the platform fetches an RTMP, SRT or HLS source (or a media file) and
 * publishes it as this stream. Shows the current pull as the API returns it (secrets as ****) and
 * its status from the page's lifecycle refresh; Start and Stop go through the API, whose refusal
 * (a private address, a scheme it does not pull) is shown in words.
 */
export class PullPanel {
  private readonly notice = new Notice();
  private readonly current = h('div', { 'data-testid': 'pull-current' });
  private readonly url = h('input', { id: 'pull-url', type: 'url', required: true, placeholder: 'rtmp://camera.example/live/cam1 or https://example.com/live.m3u8' });
  private readonly start = h('button', { type: 'submit' }, 'Start');
  private readonly stop = h('button', { type: 'button', class: 'danger', 'data-testid': 'pull-stop' }, 'Stop');
  private readonly form: HTMLFormElement;
  readonly element: HTMLElement;

  constructor(
    private readonly api: ApiClient,
    private readonly streamId: string,
  ) {
    this.form = h('form', { class: 'inline', 'data-testid': 'pull-start' }, h('label', { for: 'pull-url' }, 'Source URL'), this.url, this.start);
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void act(this.start, this.notice, async () => {
        this.update(await this.api.post<Pull>(`/streams/${this.streamId}/pull`, { url: this.url.value.trim() }));
        this.url.value = '';
      });
    });
    this.stop.addEventListener('click', () => {
      void act(this.stop, this.notice, async () => {
        await this.api.delete(`/streams/${this.streamId}/pull`);
        this.update(null);
      });
    });
    this.element = h(
      'section',
      { class: 'card', 'data-testid': 'pull' },
      h('h2', {}, 'Pull from a source'),
      h('p', { class: 'hint' }, 'Instead of pushing from an encoder, let the platform fetch your stream: rtmp(s)://, srt:// or http(s):// to an HLS playlist or a media file.'),
      this.current,
      this.form,
      this.notice.element,
    );
    this.update(null);
  }

  /** The pull as the lifecycle (or the API's answer to Start) reports it; null without one. */
  update(pull: Pull | null): void {
    this.form.hidden = pull !== null;
    if (!pull) {
      replaceChildren(this.current, h('p', {}, 'No pull source: the stream goes live when you publish to it.'));
      return;
    }
    replaceChildren(
      this.current,
      definitionList([
        ['Source', h('code', {}, pull.url)],
        ['Status', h('span', { 'data-testid': 'pull-status' }, formatPullStatus(pull.status))],
      ]),
      this.stop,
    );
  }
}
