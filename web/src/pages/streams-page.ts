import type { Lifecycle, Stream, Views } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import { formatBitrate, formatCodecs, formatVideo } from '../format.js';
import type { Page, PageContext } from '../page.js';
import { liveBadge } from '../parts/live-badge.js';
import { Notice, act } from '../parts/notice.js';
import { repeat } from '../repeat.js';

/** How often the list's live figures are read again. */
const REFRESH_MS = 3000;

interface StreamRow {
  stream: Stream;
  lifecycle: Lifecycle | null;
  views: Views | null;
}

/** Your streams, their live status updating by itself, and a form to create one. */
export function streamsPage({ api, navigate }: PageContext): Page {
  const notice = new Notice();
  const listNotice = new Notice();
  const body = h('tbody', {});
  const table = h(
    'table',
    { class: 'streams', 'data-testid': 'stream-list' },
    h('thead', {}, h('tr', {}, ...['Stream', 'Status', 'Bitrate', 'Video', 'Codecs', 'Viewers'].map((title) => h('th', {}, title)))),
    body,
  );
  const empty = h('p', { class: 'hint', hidden: true }, 'No streams yet: create one above, then publish to it from OBS.');

  const nameInput = h('input', { id: 'new-stream-name', name: 'name', required: true, maxlength: 100, placeholder: 'My stream' });
  const createButton = h('button', { type: 'submit' }, 'Create stream');
  const form = h('form', { class: 'inline' }, h('label', { for: 'new-stream-name' }, 'New stream'), nameInput, createButton);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(createButton, notice, async () => {
      const stream = await api.post<Stream>('/streams', { name: nameInput.value.trim() });
      navigate(`#/streams/${stream.id}`);
    });
  });

  const render = (rows: StreamRow[]) => {
    empty.hidden = rows.length > 0;
    table.hidden = rows.length === 0;
    replaceChildren(
      body,
      ...rows.map(({ stream, lifecycle, views }) => {
        const ingest = lifecycle?.live ? lifecycle.ingest : null;
        return h(
          'tr',
          { 'data-stream-id': stream.id },
          h('td', {}, h('a', { href: `#/streams/${stream.id}` }, stream.name)),
          h('td', {}, lifecycle ? liveBadge(lifecycle) : '…'),
          h('td', {}, ingest ? formatBitrate(ingest.bitrate_bps) : '–'),
          h('td', {}, ingest ? formatVideo(ingest.video) : '–'),
          h('td', {}, ingest ? formatCodecs(ingest.video, ingest.audio) : '–'),
          h('td', { 'data-testid': 'viewers' }, views ? String(views.liveViewers) : '–'),
        );
      }),
    );
  };

  const refresh = async () => {
    try {
      const { data } = await api.get<{ data: Stream[] }>('/streams');
      const rows = await Promise.all(
        data.map(async (stream): Promise<StreamRow> => {
          // A stream deleted between the list and these reads just shows dashes until the next refresh.
          const [lifecycle, views] = await Promise.all([
            api.get<Lifecycle>(`/streams/${stream.id}/lifecycle`).catch(() => null),
            api.get<Views>(`/streams/${stream.id}/views`).catch(() => null),
          ]);
          return { stream, lifecycle, views };
        }),
      );
      listNotice.clear();
      render(rows);
    } catch (error) {
      listNotice.error(error);
    }
  };
  const stop = repeat(refresh, REFRESH_MS);

  const element = h(
    'main',
    {},
    h('h1', {}, 'Streams'),
    h('section', { class: 'card' }, form, notice.element),
    h('section', { class: 'card' }, listNotice.element, h('div', { class: 'scroll' }, table), empty),
  );
  return { element, dispose: stop };
}
