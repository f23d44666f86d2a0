import type { ApiClient } from '../api-client.js';
import type { Fallback } from '../api-types.js';
import { definitionList, h, replaceChildren } from '../dom.js';
import { formatBytes, formatDuration } from '../format.js';
import { Notice, act } from './notice.js';

/**
 * The fallback video (seed 001): what restream targets get while the publisher is away. Upload
 * shows its progress, then the conversion (the API converts the file once, before it answers),
 * then the converted video's duration, size and dimensions.
 */
export class FallbackPanel {
  private readonly notice = new Notice();
  private readonly current = h('div', { 'data-testid': 'fallback-current' });
  private readonly file = h('input', { type: 'file', id: 'fallback-file', accept: 'video/*' });
  private readonly upload = h('button', { type: 'submit' }, 'Upload');
  private readonly progress = h('progress', { max: 100, value: 0, hidden: true, 'data-testid': 'fallback-progress' });
  private readonly state = h('span', { 'data-testid': 'fallback-state' });
  readonly element: HTMLElement;

  constructor(
    private readonly api: ApiClient,
    private readonly streamId: string,
  ) {
    const form = h(
      'form',
      { class: 'inline' },
      h('label', { for: 'fallback-file' }, 'Video file'),
      this.file,
      this.upload,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const chosen = this.file.files?.[0];
      if (chosen) void act(this.upload, this.notice, () => this.send(chosen));
    });
    this.element = h(
      'section',
      { class: 'card', 'data-testid': 'fallback' },
      h('h2', {}, 'Fallback video'),
      h('p', { class: 'hint' }, 'Played to your restream targets in a loop while you are disconnected, so your channels stay up.'),
      this.current,
      form,
      h('p', {}, this.progress, ' ', this.state),
      this.notice.element,
    );
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      this.show((await this.api.getOptional<{ fallback: Fallback }>(`/streams/${this.streamId}/fallback`))?.fallback ?? null);
    } catch (error) {
      this.notice.error(error);
    }
  }

  private async send(file: File): Promise<void> {
    this.progress.hidden = false;
    this.progress.value = 0;
    replaceChildren(this.state, 'Uploading 0 %');
    try {
      const { fallback } = await this.api.upload<{ fallback: Fallback }>(`/streams/${this.streamId}/fallback`, file, (sent, total) => {
        const percent = total > 0 ? Math.floor((100 * sent) / total) : 0;
        this.progress.value = percent;
        replaceChildren(this.state, percent >= 100 ? 'Uploaded 100 %; converting…' : `Uploading ${percent} %`);
      });
      replaceChildren(this.state, 'Converted: ready.');
      this.show(fallback);
    } catch (error) {
      replaceChildren(this.state, 'Not stored.');
      throw error;
    }
  }

  private show(fallback: Fallback | null): void {
    if (!fallback) {
      replaceChildren(this.current, h('p', {}, 'No fallback video: targets end with your stream.'));
      return;
    }
    const remove = h('button', { type: 'button', class: 'danger' }, 'Remove');
    remove.addEventListener('click', () => {
      if (!confirm('Remove the fallback video? Targets then end when you disconnect.')) return;
      void act(remove, this.notice, async () => {
        await this.api.delete(`/streams/${this.streamId}/fallback`);
        this.show(null);
      });
    });
    replaceChildren(
      this.current,
      definitionList([
        ['Duration', formatDuration(fallback.duration_s)],
        ['Size', `${fallback.width}x${fallback.height}, ${formatBytes(fallback.size_bytes)}`],
        ['Uploaded', new Date(fallback.updated_at).toLocaleString()],
      ]),
      remove,
    );
  }
}
