import type { Lifecycle } from '../api-types.js';
import { h } from '../dom.js';
import { liveStateWords } from '../format.js';

/** "● Live 2:03", "● Publisher away 2:03" or "Offline", as the stream list and the stream page show it. */
export function liveBadge(lifecycle: Pick<Lifecycle, 'live' | 'live_since' | 'publisher'>): HTMLElement {
  const { state, text, title } = liveStateWords(lifecycle, Date.now());
  return h('span', { class: `badge ${state}`, 'data-state': state, title }, text);
}
