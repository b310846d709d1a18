import type { HttpRequest } from '@azure/functions';
import { isValidUserId } from '../domain/UserId';
import { HttpError } from './HttpError';

/** The `{userId}` of a route, refused with 400 before it reaches Graph, a blob name or a table query. */
export function requireUserId(request: HttpRequest): string {
  const userId = request.params.userId;
  if (!isValidUserId(userId)) {
    throw new HttpError(
      400,
      'invalidUserId',
      'userId must be an Entra object id (GUID) or a user principal name ' +
        '(local@domain, at most 256 characters, no whitespace, /, \\, ?, control or format characters, or emoji).',
    );
  }
  return userId;
}
