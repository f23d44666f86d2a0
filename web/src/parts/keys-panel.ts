import type { ApiClient } from '../api-client.js';
import type { IngestServer, StreamKey } from '../api-types.js';
import { definitionList, h, replaceChildren } from '../dom.js';
import { hideSecret, obsSettings, testPatternCommand, type ObsSettings } from '../publish-settings.js';
import { copyButton } from './copy-button.js';
import { Notice, act } from './notice.js';

/**
 * How to go live: OBS's Server and Stream Key, and an ffmpeg test-pattern command. The key stays
 * hidden until "Reveal" (it is a password: anyone with it can publish as you); Copy works either
 * way; Reset makes a new key after a confirmation and cuts a publisher using the old one.
 */
export class KeysPanel {
  private readonly notice = new Notice();
  private readonly body = h('div', {});
  readonly element = h('section', { class: 'card', 'data-testid': 'publish' }, h('h2', {}, 'Go live'), this.body, this.notice.element);
  private revealed = false;
  private settings: ObsSettings | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly streamId: string,
  ) {
    void this.load();
  }

  private async load(): Promise<void> {
    try {
      const [{ data: keys }, { ingests }] = await Promise.all([
        this.api.get<{ data: StreamKey[] }>(`/streams/${this.streamId}/stream-keys`),
        this.api.get<{ ingests: IngestServer[] }>('/ingests?protocol=rtmp'),
      ]);
      const key = keys.find((entry) => entry.protocol === 'rtmp')?.stream_key ?? '';
      const best = ingests[0];
      this.settings = best ? obsSettings(best.url_template, key) : undefined;
      this.render(key, best === undefined);
    } catch (error) {
      this.notice.error(error);
    }
  }

  private render(key: string, noIngest: boolean): void {
    const settings = this.settings;
    if (!settings) {
      replaceChildren(
        this.body,
        noIngest ? h('p', {}, 'No ingest server is up right now: start an origin (npm start does), then reload this page.') : null,
      );
      return;
    }
    const shown = (text: string) => (this.revealed ? text : hideSecret(text, key));
    const revealButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'reveal-key' }, this.revealed ? 'Hide' : 'Reveal');
    revealButton.addEventListener('click', () => {
      this.revealed = !this.revealed;
      this.render(key, false);
    });
    const resetButton = h('button', { type: 'button', class: 'danger', 'data-testid': 'reset-key' }, 'Reset key…');
    resetButton.addEventListener('click', () => {
      if (!confirm('Make a new stream key? OBS (or whatever publishes now) is disconnected and must use the new key.')) return;
      void act(resetButton, this.notice, async () => {
        await this.api.post(`/streams/${this.streamId}/stream-keys/reset`, { protocol: 'rtmp' });
        // The new key starts hidden, as the first one did.
        this.revealed = false;
        await this.load();
        this.notice.success('A new stream key was made; the old one no longer works.');
      });
    });
    const command = testPatternCommand(settings.url);
    replaceChildren(
      this.body,
      h('p', {}, 'In OBS: Settings → Stream → Service "Custom…", then:'),
      definitionList([
        ['Server', h('span', {}, h('code', { 'data-testid': 'obs-server' }, settings.server), ' ', copyButton('Copy', () => settings.server))],
        [
          'Stream key',
          h(
            'span',
            {},
            h('code', { 'data-testid': 'stream-key' }, shown(settings.streamKey)),
            ' ',
            revealButton,
            ' ',
            copyButton('Copy', () => settings.streamKey),
            ' ',
            resetButton,
          ),
        ],
      ]),
      h('p', {}, 'No OBS at hand? This publishes a test pattern with ffmpeg:'),
      h('pre', { 'data-testid': 'ffmpeg-command' }, shown(command)),
      copyButton('Copy command', () => command),
    );
  }
}
