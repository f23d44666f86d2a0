import { h } from '../dom.js';
import { elapsedSince } from '../format.js';

/** "● Live 2:03" or "Offline", as the stream list and the stream page show it. */
export function liveBadge(live: boolean, liveSince: string | null): HTMLElement {
  if (!live) return h('span', { class: 'badge offline', 'data-state': 'offline' }, 'Offline');
  return h('span', { class: 'badge live', 'data-state': 'live' }, liveSince ? `● Live ${elapsedSince(liveSince, Date.now())}` : '● Live');
}
