import { MAX_TERM_LENGTH, matchesSearch, searchTermsOf } from '../domain/SearchTerms';
import type { PhotoOutcome } from '../domain/PhotoOutcome';
import type { IdentityStore, UserEntity, UserPage } from './IdentityStore';
import { searchRowKey, type UserSearchIndex } from './UserSearchIndex';

/**
 * Index rows read per request, `top` at most: each page's users are then read in one round of
 * point reads (the answer needs their records anyway), so a full page costs about `top` reads.
 */
const MAX_ROWS_PER_PAGE = 200;

export interface UserSearchQuery {
  /** Already normalized (`normalizeSearchText`), not empty. */
  search: string;
  top: number;
  /** The `next` of an earlier page of the same search. */
  after?: string;
  /** Only users whose stored outcome is one of these. */
  results?: readonly PhotoOutcome[];
}

export interface UserSearchPage extends Omit<UserPage, 'next'> {
  /** The index row key to continue after, or null when the search is done. */
  after: string | null;
}

/**
 * The users `search` finds, in index order. A user has several terms that can start with the
 * search ("ada" starts "ada", "ada lovelace" and "ada.lovelace@…"), so each user is taken at one
 * row only — the first of their current terms in key order — and appears once across all pages.
 * Each user's record is read to check the match on what is stored now: a row left by an earlier
 * name finds nobody.
 */
export async function searchUsers(
  index: Pick<UserSearchIndex, 'rows'>,
  identities: Pick<IdentityStore, 'getMany'>,
  query: UserSearchQuery,
): Promise<UserSearchPage> {
  const prefix = query.search.slice(0, MAX_TERM_LENGTH);
  const users: UserEntity[] = [];
  for await (const rows of index.rows(prefix, query.after, Math.min(query.top, MAX_ROWS_PER_PAGE))) {
    const records = await identities.getMany([...new Set(rows.map((row) => row.userId))]);
    for (const row of rows) {
      const user = records.get(row.userId);
      if (user === undefined || !isFirstRowOf(user, prefix, row.rowKey)) continue;
      if (!matchesSearch(user, query.search)) continue;
      if (query.results !== undefined && !query.results.includes(user.lastResult!)) continue;
      users.push(user);
      if (users.length === query.top) return { users, after: row.rowKey };
    }
  }
  return { users, after: null };
}

function isFirstRowOf(user: UserEntity, prefix: string, rowKey: string): boolean {
  const keys = [...searchTermsOf(user)]
    .filter((term) => term.startsWith(prefix))
    .map((term) => searchRowKey(term, user.rowKey))
    .sort();
  return keys[0] === rowKey;
}
