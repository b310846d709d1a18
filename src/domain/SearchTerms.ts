/**
 * What `GET /api/users?search=` matches: the start of the display name or of any word in it, of
 * the user principal name or of the mail, in any case and without regard to accents ("love" and
 * "LOVE" find Ada Lovelace, "jose" finds José). Each user's terms are kept in a search index, so a
 * search is a key-range query on the start of a term, not a scan of every user.
 */

export interface SearchableUser {
  displayName?: string | null;
  userPrincipalName?: string | null;
  mail?: string | null;
}

/** Longer terms are indexed by their start; the match itself is checked on the whole value. */
export const MAX_TERM_LENGTH = 64;
export const MAX_SEARCH_LENGTH = 256;

/** Lowercase, accents dropped, runs of white space as one space. */
export function normalizeSearchText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** The whole values and the words a user can be found by, normalized, untruncated. */
function fullTerms(user: SearchableUser): Set<string> {
  const name = normalizeSearchText(user.displayName ?? '');
  // "O'Brien" and "Núñez-García" are words, and so are "brien", "nunez" and "garcia" in them.
  const terms = new Set<string>([
    name,
    ...name.split(' '),
    ...name.split(/[^\p{L}\p{N}]+/u),
    normalizeSearchText(user.userPrincipalName ?? ''),
    normalizeSearchText(user.mail ?? ''),
  ]);
  terms.delete('');
  return terms;
}

/** The terms a user is indexed under. */
export function searchTermsOf(user: SearchableUser): Set<string> {
  return new Set([...fullTerms(user)].map((term) => term.slice(0, MAX_TERM_LENGTH)));
}

/** The terms as the identity record keeps them (one per line: a term holds no line break). */
export function searchTermsText(user: SearchableUser): string {
  return [...searchTermsOf(user)].join('\n');
}

export function parseSearchTermsText(text: string | undefined): Set<string> {
  return new Set(text === undefined || text === '' ? [] : text.split('\n'));
}

/** Whether the user is one that `search` (already normalized) finds. */
export function matchesSearch(user: SearchableUser, search: string): boolean {
  return [...fullTerms(user)].some((term) => term.startsWith(search));
}

/**
 * A term as a table key: letters, digits and `.@_-` as they are, every other UTF-16 unit as `!`
 * and four hex digits. Keys may not hold `/ \ # ?` or control characters, and a character-wise
 * code keeps prefixes: the key of a term's start is the start of the term's key. Every character a
 * key can hold sorts below `{`, the upper end of a prefix's key range.
 */
export function searchKey(term: string): string {
  let key = '';
  for (let index = 0; index < term.length; index++) {
    const char = term.charAt(index);
    key += /[a-z0-9.@_-]/.test(char) ? char : `!${term.charCodeAt(index).toString(16).padStart(4, '0')}`;
  }
  return key;
}

export const PREFIX_END = '{';
