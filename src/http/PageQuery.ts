import type { HttpRequest } from '@azure/functions';
import { isContinuationToken } from '../storage/pageToken';
import { HttpError } from './HttpError';
import { singleQueryValue } from './singleQueryValue';

/**
 * Digits only, without sign, exponent, point, blanks or a leading zero: one spelling per number,
 * so `1e2`, `0x10`, `+5`, ` 5`, `5.0` and `05` are refused rather than read as something.
 */
const DECIMAL = /^[1-9][0-9]{0,5}$/;

/** `?top=` of a paged route: absent → `defaultTop`; given once, 1..`maxTop` → that; else 400. */
export function topQuery(request: HttpRequest, limits: { defaultTop: number; maxTop: number }): number {
  const top = singleQueryValue(
    request,
    'top',
    (text) => (DECIMAL.test(text) && Number(text) <= limits.maxTop ? Number(text) : undefined),
    () =>
      new HttpError(
        400,
        'invalidTop',
        `top is a whole number from 1 to ${limits.maxTop}, written in decimal digits, given once.`,
      ),
  );
  return top ?? limits.defaultTop;
}

/** `?next=` of a route paged by storage: absent → the first page; a token it handed out → that page. */
export function nextQuery(request: HttpRequest): string | undefined {
  return singleQueryValue(
    request,
    'next',
    (text) => (isContinuationToken(text) ? text : undefined),
    invalidNext,
  );
}

/** `?top=` and `?next=` of a route paged by storage. */
export function pageQuery(
  request: HttpRequest,
  limits: { defaultTop: number; maxTop: number },
): { top: number; next?: string } {
  return { top: topQuery(request, limits), next: nextQuery(request) };
}

export function invalidNext(): HttpError {
  return new HttpError(400, 'invalidNext', 'next is the value a previous page of this list returned.');
}

/**
 * A page read with a `next` the store could not decode is the caller's 400; any other storage
 * failure stays a failure.
 */
export async function readPage<T>(next: string | undefined, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (next !== undefined && (error as { statusCode?: number }).statusCode === undefined)
      throw invalidNext();
    throw error;
  }
}
