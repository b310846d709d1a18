import { api, OUTCOMES, userPath, type PhotoEvent, type User } from './api.js';
import { byId, fact, h, show, time } from './dom.js';
import { OUTCOME_WORDS, remedyFor } from './remedies.js';

const PAGE = 50;
/** Keystrokes closer together than this make one request. */
const TYPING_MS = 250;

const nameOf = (user: User): string => user.displayName ?? user.userPrincipalName ?? user.id;

function initials(user: User): string {
  const words = nameOf(user).split(/\s+/).filter(Boolean);
  return words
    .slice(0, 2)
    .map((word) => word.charAt(0).toUpperCase())
    .join('');
}

/** The user's photo at `size` pixels, or their initials where none is stored (no request made). */
function avatar(user: User, size: number): HTMLElement {
  if (user.photo.status !== 'present')
    return h('span', { class: `avatar size${size}`, 'aria-hidden': 'true' }, initials(user));
  return h('img', {
    class: `avatar size${size}`,
    src: `/api/${userPath(user.id)}/photo?size=${size}`,
    alt: `Photo of ${nameOf(user)}`,
    width: size,
    height: size,
    loading: 'lazy',
  });
}

const outcome = (value: string | null): string =>
  value === null ? 'not checked yet' : (OUTCOME_WORDS[value] ?? value);

/** Users found by the search box and the outcome filter, and one user's page. */
export class UsersView {
  private typing: number | undefined;
  private next: string | null = null;
  private asked = 0;

  constructor() {
    const filter = byId<HTMLSelectElement>('outcome-filter');
    filter.append(...OUTCOMES.map((value) => h('option', { value }, OUTCOME_WORDS[value])));
    byId('user-search').addEventListener('input', () => {
      window.clearTimeout(this.typing);
      this.typing = window.setTimeout(() => void this.list(false), TYPING_MS);
    });
    byId<HTMLFormElement>('user-search-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.list(false);
    });
    filter.addEventListener('change', () => void this.list(false));
    byId('more-users').addEventListener('click', () => void this.list(true));
    byId('back-to-users').addEventListener('click', () => {
      window.location.hash = '#users';
    });
  }

  async list(more: boolean): Promise<void> {
    const search = byId<HTMLInputElement>('user-search').value.trim();
    const result = byId<HTMLSelectElement>('outcome-filter').value;
    const query = new URLSearchParams({ top: String(PAGE) });
    if (search !== '') query.set('search', search);
    if (result !== '') query.set('result', result);
    if (more && this.next !== null) query.set('next', this.next);
    // Only the newest request may fill the list: an older, slower answer is dropped.
    const asked = ++this.asked;
    try {
      const { body } = await api.get<{ users: User[]; next: string | null }>(`users?${query.toString()}`);
      if (asked !== this.asked) return;
      this.next = body.next;
      const items = body.users.map((user) =>
        h(
          'li',
          {},
          avatar(user, 96),
          h(
            'div',
            {},
            h('a', { href: `#user/${encodeURIComponent(user.id)}` }, nameOf(user)),
            h('div', { class: 'muted' }, user.userPrincipalName ?? ''),
            h(
              'div',
              {},
              `Photo: ${user.photo.status === 'present' ? 'stored' : user.photo.status === 'none' ? 'none in Entra ID' : 'not synced yet'} · last check: ${outcome(user.photo.lastResult)}`,
            ),
          ),
        ),
      );
      if (more) byId('user-list').append(...items);
      else show(byId('user-list'), items);
      byId('more-users').hidden = body.next === null;
      const shown = byId('user-list').childElementCount;
      show(
        byId('users-message'),
        shown === 0
          ? search === '' && result === ''
            ? 'No users yet: run a sync.'
            : 'No user matches.'
          : `${shown}${body.next === null ? '' : '+'} user${shown === 1 ? '' : 's'}`,
      );
    } catch (error) {
      if (asked === this.asked) show(byId('users-message'), (error as Error).message);
    }
  }

  async open(userId: string): Promise<void> {
    const page = byId('user-page');
    show(page, h('p', {}, 'Loading…'));
    try {
      const [{ body: user }, { body: log }] = await Promise.all([
        api.get<User>(userPath(userId)),
        api.get<{ events: PhotoEvent[] }>(`${userPath(userId)}/photo/log`),
      ]);
      show(page, this.userPage(user, log.events));
      byId('user-heading').focus();
    } catch (error) {
      show(page, h('p', { class: 'message error', role: 'alert' }, (error as Error).message));
    }
  }

  private userPage(user: User, events: PhotoEvent[]): Node[] {
    const photo = user.photo;
    const error = photo.lastError;
    return [
      h('h2', { id: 'user-heading', tabindex: '-1' }, nameOf(user)),
      h(
        'div',
        { class: 'user-card' },
        avatar(user, 240),
        h(
          'dl',
          {},
          fact('Display name', user.displayName ?? '—'),
          fact('Given name', user.givenName ?? '—'),
          fact('Surname', user.surname ?? '—'),
          fact('User principal name', user.userPrincipalName ?? '—'),
          fact('Mail', user.mail ?? '—'),
          fact('Object id', user.id),
          fact('Account', user.accountEnabled === false ? 'disabled' : 'enabled'),
          user.inDirectory === false
            ? fact('In the directory', h('span', {}, 'no, departed ', time(user.departedAt)))
            : [],
          fact(
            'Photo',
            photo.status === 'present'
              ? `stored (${photo.contentType ?? 'image'}, ${photo.bytes ?? 0} bytes)`
              : photo.status === 'none'
                ? 'none in Entra ID'
                : 'not synced yet',
          ),
          fact('Last result', outcome(photo.lastResult)),
          fact('Last checked', time(photo.lastCheckedAt)),
          fact('Last changed', time(photo.lastChangedAt)),
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'last-error-heading' },
        h('h3', { id: 'last-error-heading' }, 'Last error'),
        error === null
          ? h('p', {}, 'None.')
          : h(
              'div',
              { class: 'message error' },
              h('p', {}, h('strong', {}, error.code), ': ', error.message),
              h('p', {}, h('strong', {}, 'What to do: '), remedyFor(error.code)),
            ),
      ),
      h(
        'table',
        { id: 'photo-log' },
        h('caption', {}, 'Photo log'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['When', 'Run', 'Result', 'Reason', 'Error'].map((label) => h('th', { scope: 'col' }, label)),
          ),
        ),
        h(
          'tbody',
          {},
          events.length === 0
            ? h('tr', {}, h('td', { colspan: 5 }, 'No photo event yet.'))
            : events.map((event) =>
                h(
                  'tr',
                  {},
                  h('td', {}, time(event.at)),
                  h('td', {}, event.runId),
                  h('td', {}, outcome(event.result)),
                  h('td', {}, event.reason ?? '—'),
                  h('td', {}, event.error === null ? '—' : `${event.error.code}: ${event.error.message}`),
                ),
              ),
        ),
      ),
    ];
  }
}
