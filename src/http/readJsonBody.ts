import type { HttpRequest } from '@azure/functions';
import { HttpError } from './HttpError';

export const MAX_BODY_BYTES = 16 * 1024;

/**
 * A change must say it is JSON. A web page can make a browser send a cross-site POST without
 * asking first only as a "simple" request, whose Content-Type is text/plain or a form type; one
 * that says application/json is preflighted, and this app answers no preflight. So a change that
 * is not declared JSON is refused whatever its body, an empty one included (`POST /api/sync`).
 */
function requireJsonContentType(request: HttpRequest): void {
  const declared = request.headers.get('content-type');
  const mediaType = declared?.split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json')
    throw new HttpError(
      415,
      'unsupportedMediaType',
      `A change is sent with Content-Type: application/json${declared === null ? '' : `, not ${declared.slice(0, 100)}`} (with an empty body where the route takes none).`,
    );
}

function tooLarge(): HttpError {
  return new HttpError(413, 'payloadTooLarge', `The body is larger than ${MAX_BODY_BYTES} bytes (16 KiB).`);
}

/**
 * The JSON body of a change (`PATCH`, `POST`): refused with 415 unless declared
 * `application/json`, 413 when larger than 16 KiB, 400 when not JSON; an empty body is
 * `undefined` where the route's body is optional. Every change route reads its body here.
 */
export async function readJsonBody(
  request: HttpRequest,
  { optional = false }: { optional?: boolean } = {},
): Promise<unknown> {
  requireJsonContentType(request);
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  if (bytes.length === 0 && optional) return undefined;
  if (bytes.length === 0) throw new HttpError(400, 'invalidJson', 'The body is empty; send a JSON object.');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalidJson', 'The body is not valid JSON.');
  }
}
