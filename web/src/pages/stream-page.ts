import type { Lifecycle, Stream, Views } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import type { Page, PageContext } from '../page.js';
import { BrowserGoLivePanel } from '../parts/browser-go-live-panel.js';
import { FallbackPanel } from '../parts/fallback-panel.js';
import { KeysPanel } from '../parts/keys-panel.js';
import { liveBadge } from '../parts/live-badge.js';
import { liveDetails } from '../parts/live-details.js';
import { Notice, act } from '../parts/notice.js';
import { PlayerPanel } from '../parts/player-panel.js';
import { PullPanel } from '../parts/pull-panel.js';
import { TargetsPanel } from '../parts/targets-panel.js';
import { VideosPanel } from '../parts/videos-panel.js';
import { ViewerGraph } from '../parts/viewer-graph.js';
import { repeat } from '../repeat.js';

/** How often the lifecycle and the viewer count are read again. */
const REFRESH_MS = 2000;

/** One stream: go-live settings (OBS, this browser's camera or screen, or a source the platform pulls), player, viewers, lifecycle, restream targets, fallback video. */
export function streamPage(context: PageContext, streamId: string): Page {
  const { api, navigate } = context;
  const notice = new Notice();
  const element = h('main', {}, h('p', {}, h('a', { href: '#/streams' }, '← Streams')), notice.element);
  const disposers: (() => void)[] = [];
  let disposed = false;

  void api.get<Stream>(`/streams/${streamId}`).then(
    (stream) => {
      if (!disposed) build(stream);
    },
    (error: unknown) => notice.error(error),
  );

  function build(initial: Stream): void {
    let stream = initial;
    const title = h('h1', {}, stream.name);
    const badge = h('span', {}, liveBadge({ live: false, live_since: null, publisher: null }));
    const details = h('div', {});
    const graph = new ViewerGraph();
    const player = new PlayerPanel(api, () => stream);
    const targets = new TargetsPanel(api, stream.id);
    const videos = new VideosPanel(api, () => stream);
    const browserGoLive = new BrowserGoLivePanel(api, stream.id);
    const pull = new PullPanel(api, stream.id);
    disposers.push(() => player.dispose(), () => targets.dispose(), () => videos.dispose(), () => browserGoLive.dispose());

    const refresh = async () => {
      try {
        const [lifecycle, views] = await Promise.all([
          api.get<Lifecycle>(`/streams/${stream.id}/lifecycle`),
          api.get<Views>(`/streams/${stream.id}/views`),
        ]);
        replaceChildren(badge, liveBadge(lifecycle));
        replaceChildren(details, liveDetails(lifecycle));
        graph.add(views.liveViewers, views.views);
        player.update(lifecycle.live);
        browserGoLive.update(lifecycle.live);
        pull.update(lifecycle.pull ?? null);
      } catch (error) {
        notice.error(error);
      }
    };
    disposers.push(repeat(refresh, REFRESH_MS));

    const settings = settingsSection(stream, async (changes) => {
      stream = await api.put<Stream>(`/streams/${stream.id}`, { name: stream.name, ...changes });
      replaceChildren(title, stream.name);
    });
    const remove = h('button', { type: 'button', class: 'danger', 'data-testid': 'delete-stream' }, 'Delete stream…');
    remove.addEventListener('click', () => {
      if (!confirm(`Delete "${stream.name}"? Its keys, restream targets and fallback video go with it, and a live publisher is cut.`)) return;
      void act(remove, notice, async () => {
        await api.delete(`/streams/${stream.id}`);
        navigate('#/streams');
      });
    });

    element.append(
      h('div', { class: 'title-row' }, title, badge),
      h('section', { class: 'card' }, h('h2', {}, 'Live'), details),
      new KeysPanel(api, stream.id).element,
      browserGoLive.element,
      pull.element,
      h('section', { class: 'card', 'data-testid': 'watch' }, h('h2', {}, 'Watch'), player.element, graph.element),
      targets.element,
      videos.element,
      new FallbackPanel(api, stream.id).element,
      settings,
      h('section', { class: 'card' }, h('h2', {}, 'Delete'), remove),
    );
  }

  return {
    element,
    dispose: () => {
      disposed = true;
      for (const dispose of disposers) dispose();
    },
  };
}

interface StreamChanges {
  name?: string;
  require_signed_urls?: boolean;
  allowed_origins?: string[];
  recording?: Stream['recording'];
  abr?: { enabled: boolean };
}

/**
 * Name, playback and recording settings: rename, signed URLs only, the web sites allowed to embed
 * the player, whether sessions are recorded and how long a dropped publisher may take to come back
 * into the same recording, and whether the stream is transcoded into an ABR ladder.
 */
function settingsSection(stream: Stream, save: (changes: StreamChanges) => Promise<void>): HTMLElement {
  const notice = new Notice();
  const name = h('input', { id: 'stream-name', name: 'name', required: true, maxlength: 100, value: stream.name });
  const signed = h('input', { id: 'signed-urls', type: 'checkbox', checked: stream.require_signed_urls });
  const origins = h('input', {
    id: 'allowed-origins',
    placeholder: 'example.com, *.example.org (empty: any site)',
    value: stream.allowed_origins.join(', '),
  });
  const record = h('input', { id: 'recording', type: 'checkbox', checked: stream.recording.mode === 'automatic' });
  const timeout = h('input', { id: 'recording-timeout', type: 'number', min: 0, max: 3600, value: stream.recording.timeoutSeconds });
  const abr = h('input', { id: 'abr', type: 'checkbox', checked: stream.abr.enabled });
  const button = h('button', { type: 'submit' }, 'Save settings');
  const form = h(
    'form',
    { class: 'stacked', 'data-testid': 'stream-settings' },
    h('label', { for: 'stream-name' }, 'Name'),
    name,
    h('label', { class: 'check' }, signed, ' Viewers need a signed playback URL (the player here gets one for you)'),
    h('label', { for: 'allowed-origins' }, 'Web sites that may embed the player'),
    origins,
    h('label', { class: 'check' }, record, ' Record every live session (replay it under Recordings)'),
    h('label', { for: 'recording-timeout' }, 'Seconds a dropped publisher may take to continue the same recording'),
    timeout,
    h('label', { class: 'check' }, abr, ' Adaptive bitrate: also offer lower renditions for slow connections (from the next broadcast)'),
    h('div', { class: 'buttons' }, button),
    notice.element,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(button, notice, async () => {
      await save({
        name: name.value.trim(),
        require_signed_urls: signed.checked,
        allowed_origins: origins.value
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
        recording: { mode: record.checked ? 'automatic' : 'off', timeoutSeconds: Number(timeout.value) },
        abr: { enabled: abr.checked },
      });
      notice.success('Saved. The edges apply playback settings within seconds.');
    });
  });
  return h('section', { class: 'card' }, h('h2', {}, 'Settings'), form);
}
