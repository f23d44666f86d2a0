import { ApiClient, ApiProblem } from './api-client.js';
import type { Me } from './api-types.js';
import { h, replaceChildren } from './dom.js';
import type { Page, PageContext } from './page.js';
import { adminPage } from './pages/admin-page.js';
import { signInPage } from './pages/sign-in-page.js';
import { streamPage } from './pages/stream-page.js';
import { streamsPage } from './pages/streams-page.js';
import { forgetToken, savedToken, saveToken } from './session.js';

/**
 * The dashboard's shell: sign-in, the header, and hash routes (`#/streams`, `#/streams/<id>`,
 * `#/admin`), so that the server serves one page and a reload keeps the place.
 */
const root = document.getElementById('app') as HTMLElement;
let current: Page | undefined;
let context: PageContext | undefined;

function show(page: Page): void {
  current?.dispose();
  current = page;
  replaceChildren(root, page.element);
}

function signOut(): void {
  forgetToken();
  context = undefined;
  renderHeader(null);
  show(signInPage(signIn));
}

/** Checks the token with GET /v1/me; keeps it for the tab's session only when the API accepts it. */
async function signIn(token: string): Promise<void> {
  const api = new ApiClient(token, () => {
    if (context) signOut();
  });
  const me = await api.get<Me>('/me');
  saveToken(token);
  context = { api, me, navigate: (hash) => (location.hash = hash) };
  renderHeader(me);
  route();
}

function renderHeader(me: Me | null): void {
  const header = document.getElementById('header') as HTMLElement;
  if (!me) {
    replaceChildren(header, h('a', { href: '#/streams', class: 'brand' }, 'livestack'));
    return;
  }
  replaceChildren(
    header,
    h('a', { href: '#/streams', class: 'brand' }, 'livestack'),
    h(
      'nav',
      {},
      h('a', { href: '#/streams' }, 'Streams'),
      me.admin ? h('a', { href: '#/admin' }, 'Users') : null,
      h('span', { class: 'who', 'data-testid': 'signed-in-as' }, me.admin ? 'admin' : me.name),
      h('button', { type: 'button', class: 'secondary', onclick: signOut }, 'Sign out'),
    ),
  );
}

function route(): void {
  if (!context) return;
  const [, section, id] = location.hash.replace(/^#/, '').split('/');
  if (section === 'streams' && id) show(streamPage(context, decodeURIComponent(id)));
  else if (section === 'admin' && context.me.admin) show(adminPage(context));
  else show(streamsPage(context));
}

window.addEventListener('hashchange', route);

const token = savedToken();
renderHeader(null);
if (token) {
  signIn(token).catch((error: unknown) => {
    // A token that stopped working (revoked, or the API's data was reset) asks for a new one.
    if (error instanceof ApiProblem && error.status === 401) forgetToken();
    show(signInPage(signIn, error));
  });
} else {
  show(signInPage(signIn));
}
