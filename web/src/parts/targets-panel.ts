import type { ApiClient } from '../api-client.js';
import type { RestreamTarget } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import { formatBitrate } from '../format.js';
import { repeat } from '../repeat.js';
import { Notice, act } from './notice.js';

const REFRESH_MS = 2000;
const PLATFORMS = ['twitch', 'youtube', 'kick', 'facebook', 'custom'] as const;

/**
 * The stream's restream targets with each push's state as the origin reports it (connecting,
 * live, retrying, failed), updating by itself; add, edit, enable/disable and delete.
 * The form sits below the table, so the table can refresh while the user types.
 */
export class TargetsPanel {
  private readonly notice = new Notice();
  private readonly rows = h('tbody', {});
  private readonly table = h(
    'table',
    { 'data-testid': 'targets' },
    h('thead', {}, h('tr', {}, ...['Name', 'Platform', 'Server', 'Key', 'Push', 'Bitrate', 'Last error', ''].map((title) => h('th', {}, title)))),
    this.rows,
  );
  private readonly empty = h('p', { class: 'hint' }, 'No restream targets: add Twitch, YouTube, Kick, Facebook or any RTMP server below.');
  private readonly form = new TargetForm((body, editing) => this.save(body, editing), this.notice);
  readonly element = h(
    'section',
    { class: 'card', 'data-testid': 'restream' },
    h('h2', {}, 'Restream'),
    h('div', { class: 'scroll' }, this.table),
    this.empty,
    this.notice.element,
    this.form.element,
  );
  private readonly stop: () => void;

  constructor(
    private readonly api: ApiClient,
    private readonly streamId: string,
  ) {
    this.stop = repeat(() => this.refresh(), REFRESH_MS);
  }

  dispose(): void {
    this.stop();
  }

  private async refresh(): Promise<void> {
    try {
      const { data } = await this.api.get<{ data: RestreamTarget[] }>(`/streams/${this.streamId}/restream-targets`);
      this.render(data);
    } catch (error) {
      this.notice.error(error);
    }
  }

  private render(targets: RestreamTarget[]): void {
    this.empty.hidden = targets.length > 0;
    this.table.hidden = targets.length === 0;
    replaceChildren(this.rows, ...targets.map((target) => this.row(target)));
  }

  private row(target: RestreamTarget): HTMLTableRowElement {
    const state = target.status?.state ?? (target.enabled ? 'idle' : 'disabled');
    const toggle = h('button', { type: 'button', class: 'secondary' }, target.enabled ? 'Disable' : 'Enable');
    toggle.addEventListener('click', () =>
      act(toggle, this.notice, async () => {
        await this.api.patch(`/streams/${this.streamId}/restream-targets/${target.id}`, { enabled: !target.enabled });
        await this.refresh();
      }),
    );
    const edit = h('button', { type: 'button', class: 'secondary', onclick: () => this.form.edit(target) }, 'Edit');
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete');
    remove.addEventListener('click', () => {
      if (!confirm(`Delete the restream target "${target.name}"? A push to it stops within seconds.`)) return;
      void act(remove, this.notice, async () => {
        await this.api.delete(`/streams/${this.streamId}/restream-targets/${target.id}`);
        await this.refresh();
      });
    });
    const error = target.status?.last_error;
    return h(
      'tr',
      { 'data-target-id': target.id },
      h('td', {}, target.name),
      h('td', {}, target.platform),
      h('td', {}, h('code', {}, target.stream_url)),
      h('td', {}, h('code', {}, target.stream_key)),
      h('td', {}, h('span', { class: `badge push-${state}`, 'data-state': state }, state), retryNote(target)),
      h('td', {}, target.status && state === 'live' ? formatBitrate(target.status.bitrate_bps) : '–'),
      h('td', {}, error ? `${error.message}${error.at ? ` at ${new Date(error.at).toLocaleTimeString()}` : ''}` : '–'),
      h('td', { class: 'actions' }, toggle, edit, remove),
    );
  }

  private async save(body: Record<string, unknown>, editing: RestreamTarget | null): Promise<void> {
    if (editing) await this.api.patch(`/streams/${this.streamId}/restream-targets/${editing.id}`, body);
    else await this.api.post(`/streams/${this.streamId}/restream-targets`, body);
    await this.refresh();
  }
}

function retryNote(target: RestreamTarget): string {
  const status = target.status;
  if (status?.state !== 'retrying' || !status.next_retry_at) return '';
  return ` (attempt ${status.attempts}, next ${new Date(status.next_retry_at).toLocaleTimeString()})`;
}

/** Adds a target, or edits one (a blank key keeps the stored one, which is never shown). */
class TargetForm {
  private editing: RestreamTarget | null = null;
  private readonly title = h('h3', {}, 'Add a target');
  private readonly platform = h('select', { id: 'target-platform', name: 'platform' }, ...PLATFORMS.map((name) => h('option', { value: name }, name)));
  private readonly url = h('input', { id: 'target-url', name: 'stream_url', placeholder: 'rtmp://live.example.com/app (custom, or to override the platform)' });
  private readonly key = h('input', { id: 'target-key', name: 'stream_key', type: 'password', autocomplete: 'off' });
  private readonly name = h('input', { id: 'target-name', name: 'name', maxlength: 100, placeholder: 'Default: the platform or the host' });
  private readonly submit = h('button', { type: 'submit' }, 'Add target');
  private readonly cancel = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Cancel');
  readonly element: HTMLFormElement;

  constructor(
    private readonly save: (body: Record<string, unknown>, editing: RestreamTarget | null) => Promise<void>,
    private readonly notice: Notice,
  ) {
    this.element = h(
      'form',
      { class: 'stacked', 'data-testid': 'target-form' },
      this.title,
      h('label', { for: 'target-platform' }, 'Platform'),
      this.platform,
      h('label', { for: 'target-url' }, 'Server URL'),
      this.url,
      h('label', { for: 'target-key' }, 'Stream key (from the platform)'),
      this.key,
      h('label', { for: 'target-name' }, 'Name'),
      this.name,
      h('div', { class: 'buttons' }, this.submit, this.cancel),
    );
    this.cancel.addEventListener('click', () => this.reset());
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      void act(this.submit, this.notice, async () => {
        await this.save(this.body(), this.editing);
        this.notice.success(this.editing ? 'Target saved.' : 'Target added: it goes live with the stream.');
        this.reset();
      });
    });
  }

  edit(target: RestreamTarget): void {
    this.editing = target;
    this.title.textContent = `Edit "${target.name}"`;
    this.submit.textContent = 'Save target';
    this.cancel.hidden = false;
    this.platform.value = target.platform;
    this.platform.disabled = true;
    this.url.value = target.stream_url;
    this.key.value = '';
    this.key.placeholder = `${target.stream_key} (leave blank to keep)`;
    this.name.value = target.name;
    this.element.scrollIntoView({ block: 'nearest' });
  }

  private reset(): void {
    this.editing = null;
    this.element.reset();
    this.title.textContent = 'Add a target';
    this.submit.textContent = 'Add target';
    this.cancel.hidden = true;
    this.platform.disabled = false;
    this.key.placeholder = '';
  }

  private body(): Record<string, unknown> {
    const body: Record<string, unknown> = {};
    const url = this.url.value.trim();
    const key = this.key.value.trim();
    const name = this.name.value.trim();
    if (this.editing) {
      if (url !== this.editing.stream_url) body.stream_url = url === '' ? null : url;
      if (key !== '') body.stream_key = key;
      if (name !== '' && name !== this.editing.name) body.name = name;
      // Nothing changed: send the name, so the API answers with the target as it is.
      if (Object.keys(body).length === 0) body.name = this.editing.name;
      return body;
    }
    body.platform = this.platform.value;
    body.stream_key = key;
    if (url !== '') body.stream_url = url;
    if (name !== '') body.name = name;
    return body;
  }
}
