import { h } from '../dom.js';
import type { Page } from '../page.js';
import { Notice, act } from '../parts/notice.js';

/** Sign in with an API token: the admin token (.run/admin-token under `npm start`) or a user's. */
export function signInPage(signIn: (token: string) => Promise<void>, problem?: unknown): Page {
  const notice = new Notice();
  if (problem !== undefined) notice.error(problem);
  const input = h('input', {
    type: 'password',
    id: 'token',
    name: 'token',
    autocomplete: 'current-password',
    required: true,
    placeholder: 'lst_… or the admin token',
  });
  const button = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card narrow' },
    h('h1', {}, 'Sign in'),
    h('p', {}, 'Paste an API token. It stays in this browser tab only, and is forgotten when the tab closes.'),
    h('label', { for: 'token' }, 'API token'),
    input,
    button,
    notice.element,
    h(
      'p',
      { class: 'hint' },
      'Running the platform with npm start? The admin token is in .run/admin-token. The admin can make users and their tokens under Users.',
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (token === '') return;
    void act(button, notice, () => signIn(token));
  });
  return { element: h('main', {}, form), dispose: () => undefined };
}
