import type { HttpRequest } from '@azure/functions';
import { HttpError } from './HttpError';

export const MAX_BODY_BYTES = 16 * 1024;

/**
 * The request's JSON body, refused with 400 when it is larger than 16 KiB or not JSON; an empty
 * body is `undefined` where the route's body is optional.
 */
export async function readJsonBody(
  request: HttpRequest,
  { maxBytes = MAX_BODY_BYTES, optional = false }: { maxBytes?: number; optional?: boolean } = {},
): Promise<unknown> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes)
    throw new HttpError(400, 'bodyTooLarge', `The body is larger than ${maxBytes} bytes.`);
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > maxBytes)
    throw new HttpError(400, 'bodyTooLarge', `The body is larger than ${maxBytes} bytes.`);
  if (bytes.length === 0 && optional) return undefined;
  if (bytes.length === 0) throw new HttpError(400, 'invalidJson', 'The body is empty; send a JSON object.');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalidJson', 'The body is not valid JSON.');
  }
}
