import type { CreatedToken, User, UserView } from '../api-types.js';
import { h, replaceChildren } from '../dom.js';
import { formatBytes } from '../format.js';
import type { Page, PageContext } from '../page.js';
import { copyButton } from '../parts/copy-button.js';
import { Notice, act } from '../parts/notice.js';
import { parseQuotaGigabytes, quotaGigabytesText } from '../quota-input.js';

/**
 * The admin's page: users, their API tokens and recording quotas. A new token's secret is shown
 * once, here, to be handed to its user (who signs in with it); the API keeps only its digest.
 */
export function adminPage({ api }: PageContext): Page {
  const notice = new Notice();
  const issued = h('div', { 'data-testid': 'issued-token' });
  const rows = h('tbody', {});
  const table = h('table', { 'data-testid': 'users' }, h('thead', {}, h('tr', {}, ...['User', 'Id', 'Created', ''].map((t) => h('th', {}, t)))), rows);

  const refresh = async () => {
    const { data } = await api.get<{ data: User[] }>('/users');
    replaceChildren(rows, ...data.map(userRow));
  };

  const userRow = (user: User) => {
    const tokenButton = h('button', { type: 'button', class: 'secondary' }, 'New API token');
    tokenButton.addEventListener('click', () =>
      act(tokenButton, notice, async () => {
        const created = await api.post<CreatedToken>(`/users/${user.id}/tokens`, { name: `dashboard ${new Date().toISOString().slice(0, 10)}` });
        showIssued(user, created);
      }),
    );
    const quota = h('button', { type: 'button', class: 'secondary' }, 'Recording quota…');
    quota.addEventListener('click', () => void act(quota, notice, () => changeQuota(user)));
    const remove = h('button', { type: 'button', class: 'danger' }, 'Delete…');
    remove.addEventListener('click', () => {
      if (!confirm(`Delete the user "${user.name}" with their tokens and streams? Their publishers are cut.`)) return;
      void act(remove, notice, async () => {
        await api.delete(`/users/${user.id}`);
        await refresh();
      });
    });
    return h(
      'tr',
      { 'data-user-id': user.id },
      h('td', {}, user.name),
      h('td', {}, h('code', {}, user.id)),
      h('td', {}, new Date(user.created_at).toLocaleString()),
      h('td', { class: 'actions' }, tokenButton, quota, remove),
    );
  };

  /** Shows what the user's recordings take and asks for a new quota in GB (empty: the API's default). */
  const changeQuota = async (user: User) => {
    const { storage } = await api.get<UserView>(`/users/${user.id}`);
    const answer = prompt(
      `Recording quota of ${user.name} in GB (empty: the default). Their recordings take ${formatBytes(storage.usedBytes)}; ` +
        'at or over the quota their sessions go live unrecorded.',
      quotaGigabytesText(storage.quotaBytes),
    );
    if (answer === null) return;
    const quotaBytes = parseQuotaGigabytes(answer);
    if (quotaBytes === undefined) return notice.failure(`"${answer}" is not a number of GB, such as 50 or 2.5.`);
    const updated = await api.patch<UserView>(`/users/${user.id}`, { storage: { quotaBytes } });
    const limit = updated.storage.quotaBytes === null ? 'no limit' : formatBytes(updated.storage.quotaBytes);
    notice.success(`${user.name}'s recording quota: ${limit}; their recordings take ${formatBytes(updated.storage.usedBytes)}.`);
  };

  const showIssued = (user: User, created: CreatedToken) => {
    replaceChildren(
      issued,
      h(
        'div',
        { class: 'notice success' },
        h('p', {}, `API token for ${user.name}. It is shown only now: give it to them to sign in with.`),
        h('code', { class: 'secret' }, created.token),
        ' ',
        copyButton('Copy', () => created.token),
      ),
    );
  };

  const name = h('input', { id: 'new-user-name', required: true, maxlength: 100, placeholder: 'Name' });
  const create = h('button', { type: 'submit' }, 'Create user');
  const form = h('form', { class: 'inline' }, h('label', { for: 'new-user-name' }, 'New user'), name, create);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(create, notice, async () => {
      const user = await api.post<User>('/users', { name: name.value.trim() });
      form.reset();
      await refresh();
      const created = await api.post<CreatedToken>(`/users/${user.id}/tokens`, { name: 'first token' });
      showIssued(user, created);
    });
  });

  refresh().catch((error: unknown) => notice.error(error));
  const element = h(
    'main',
    {},
    h('h1', {}, 'Users'),
    h('section', { class: 'card' }, form, notice.element, issued),
    h('section', { class: 'card' }, h('div', { class: 'scroll' }, table)),
  );
  return { element, dispose: () => undefined };
}
