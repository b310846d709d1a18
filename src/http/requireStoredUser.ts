import type { HttpRequest } from '@azure/functions';
import type { IdentityStore, UserEntity } from '../storage/IdentityStore';
import { HttpError } from './HttpError';
import { requireUserId } from './requireUserId';

/** The identity record the route's `{userId}` names (object id or UPN); 400 if malformed, 404 if unknown. */
export async function requireStoredUser(
  request: HttpRequest,
  identities: IdentityStore,
): Promise<UserEntity> {
  const user = await identities.find(requireUserId(request));
  if (user === undefined)
    throw new HttpError(
      404,
      'userNotFound',
      'No such user in the identity store (has a run listed them yet?).',
    );
  return user;
}
