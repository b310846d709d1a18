import { graphError, type GraphAnswer } from './GraphAnswer';

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;

/** Where a paged listing goes on: the next item's position and the next page's index. */
export interface PagePosition {
  start: number;
  page: number;
}

export function encodeSkipToken(position: PagePosition): string {
  return Buffer.from(`sim1:${position.start}:${position.page}`).toString('base64url');
}

function decodeSkipToken(token: string): PagePosition | undefined {
  const match = /^sim1:(\d+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match ? { start: Number(match[1]), page: Number(match[2]) } : undefined;
}

/**
 * A listing's query options as Graph checks them: only `$select`, `$top` (1..999, default 100)
 * and `$skiptoken`; an unknown option, a page size out of range or a token it did not issue is
 * the 400 Graph gives.
 */
export function readPaging(query: URLSearchParams): { top: number; position: PagePosition } | GraphAnswer {
  const unsupported = [...query.keys()].find(
    (k) => k.startsWith('$') && !['$select', '$top', '$skiptoken'].includes(k),
  );
  if (unsupported)
    return graphError(400, 'BadRequest', `The simulator does not support the query option ${unsupported}.`);
  const topText = query.get('$top');
  const top = topText === null ? DEFAULT_PAGE_SIZE : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE)
    return graphError(
      400,
      'Request_UnsupportedQuery',
      `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`,
    );
  const skipToken = query.get('$skiptoken');
  const position = skipToken === null ? { start: 0, page: 0 } : decodeSkipToken(skipToken);
  if (position === undefined)
    return graphError(
      400,
      'Directory_ExpiredPageToken',
      'The specified page token value has expired and can no longer be included in your request.',
    );
  return { top, position };
}
