import type { Client } from '@microsoft/microsoft-graph-client';
import { CORE_ATTRIBUTES, type DirectoryUser } from './DirectoryUser';
import { isObjectId } from '../domain/UserId';
import { graphPages } from './graphPages';

/** Graph's largest page for `/users`: fewest list requests per tenant. */
export const USERS_PAGE_SIZE = 999;

export function toDirectoryUser(raw: Partial<DirectoryUser>): DirectoryUser | undefined {
  if (typeof raw.id !== 'string' || !isObjectId(raw.id)) return undefined;
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return {
    id: raw.id.toLowerCase(),
    displayName: text(raw.displayName),
    givenName: text(raw.givenName),
    surname: text(raw.surname),
    mail: text(raw.mail),
    userPrincipalName: text(raw.userPrincipalName),
    accountEnabled: typeof raw.accountEnabled === 'boolean' ? raw.accountEnabled : null,
  };
}

/** Pages through `GET /users` one page at a time (see graphPages). */
export async function* listUserPages(client: Client, timeoutMs: number): AsyncGenerator<DirectoryUser[]> {
  const first = client
    .api('/users')
    .select([...CORE_ATTRIBUTES])
    .top(USERS_PAGE_SIZE);
  for await (const page of graphPages(client, first, timeoutMs))
    yield (page.value as Array<Partial<DirectoryUser>>)
      .map(toDirectoryUser)
      .filter((user): user is DirectoryUser => user !== undefined);
}
