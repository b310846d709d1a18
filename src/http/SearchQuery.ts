import type { HttpRequest } from '@azure/functions';
import { MAX_SEARCH_LENGTH, normalizeSearchText } from '../domain/SearchTerms';
import { HttpError } from './HttpError';
import { invalidNext } from './PageQuery';

interface Cursor {
  s: string;
  k: string;
}

/**
 * `?search=` of `GET /api/users`, normalized, and where its page starts: `next` of a search is
 * the search and the index key to continue after, so it is refused for any other search.
 */
export function searchQuery(request: HttpRequest): { search: string; after?: string } | undefined {
  const raw = request.query.get('search');
  if (raw === null) return undefined;
  const search = normalizeSearchText(raw);
  if (search === '' || raw.length > MAX_SEARCH_LENGTH)
    throw new HttpError(
      400,
      'invalidSearch',
      `search is the start of a name, a word of it, a user principal name or a mail: 1 to ${MAX_SEARCH_LENGTH} characters.`,
    );
  const next = request.query.get('next');
  if (next === null) return { search };
  let cursor: Partial<Cursor> | undefined;
  try {
    cursor = JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    throw invalidNext();
  }
  if (cursor?.s !== search || typeof cursor.k !== 'string') throw invalidNext();
  return { search, after: cursor.k };
}

export function searchNext(search: string, after: string | null): string | null {
  return after === null ? null : Buffer.from(JSON.stringify({ s: search, k: after })).toString('base64url');
}
