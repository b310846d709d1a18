import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { CORE_ATTRIBUTES, type DirectoryUser } from './DirectoryUser';
import { isObjectId } from '../domain/UserId';
import { graphPages } from './graphPages';
import { toDirectoryUser } from './listUserPages';

/**
 * One page of a `/users/delta` round: users whose core attributes changed (every user in a round
 * without a link), users gone from the directory, and on the last page the link for the next round.
 */
export interface DirectoryChanges {
  users: DirectoryUser[];
  removed: string[];
  deltaLink?: string;
}

/** The listing scope a stored delta link belongs to: a link tracks the properties it was made for. */
export const USERS_DELTA_SCOPE = `users(${CORE_ATTRIBUTES.join(',')})`;

/**
 * The codes Graph gives for a delta token it no longer keeps or cannot read; the answer is a full
 * round (a new initial round), not an error.
 */
const RESYNC_CODES = new Set([
  'syncStateNotFound',
  'syncStateInvalid',
  'resyncRequired',
  'Directory_ExpiredPageToken',
]);

/** Whether Graph asks for a full round: 410 Gone, or a token it calls expired or invalid. */
export function isDeltaLinkExpired(error: unknown): boolean {
  if (!(error instanceof GraphError)) return false;
  return error.statusCode === 410 || RESYNC_CODES.has(error.code ?? '');
}

/**
 * Pages of one delta round of the directory's users: from `deltaLink` (what changed since the round
 * that gave it), or without one every user, `$select` of the core attributes so that Graph tracks
 * only those. A page at a time, as graphPages.
 */
export async function* listUserChanges(
  client: Client,
  timeoutMs: number,
  deltaLink: string | undefined,
): AsyncGenerator<DirectoryChanges> {
  const first =
    deltaLink === undefined ? client.api('/users/delta').select([...CORE_ATTRIBUTES]) : client.api(deltaLink);
  for await (const page of graphPages(client, first, timeoutMs)) {
    const users: DirectoryUser[] = [];
    const removed: string[] = [];
    for (const raw of page.value as Array<Partial<DirectoryUser> & { '@removed'?: unknown }>) {
      if (raw['@removed'] === undefined) {
        const user = toDirectoryUser(raw);
        if (user !== undefined) users.push(user);
      } else if (typeof raw.id === 'string' && isObjectId(raw.id)) removed.push(raw.id.toLowerCase());
    }
    yield { users, removed, ...(page.deltaLink === undefined ? {} : { deltaLink: page.deltaLink }) };
  }
}
