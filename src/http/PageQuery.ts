import type { HttpRequest } from '@azure/functions';
import { HttpError } from './HttpError';

// Table Storage continuation tokens are base64 text; anything else is not one of ours.
const CONTINUATION = /^[A-Za-z0-9+/=_-]{1,4096}$/;

/** `?top=` and `?next=` of a paged list route, refused with 400 when out of range or not ours. */
export function pageQuery(
  request: HttpRequest,
  limits: { defaultTop: number; maxTop: number },
): { top: number; next?: string } {
  const topText = request.query.get('top');
  const top = topText === null ? limits.defaultTop : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > limits.maxTop)
    throw new HttpError(400, 'invalidTop', `top is a whole number from 1 to ${limits.maxTop}.`);
  const next = request.query.get('next') ?? undefined;
  if (next !== undefined && !CONTINUATION.test(next)) throw invalidNext();
  return { top, next };
}

export function invalidNext(): HttpError {
  return new HttpError(400, 'invalidNext', 'next is the value a previous page returned.');
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
