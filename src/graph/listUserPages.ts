import type { Client } from '@microsoft/microsoft-graph-client';
import { CORE_ATTRIBUTES, type DirectoryUser } from './DirectoryUser';
import { isObjectId } from '../domain/UserId';

/** Graph's largest page for `/users`: fewest list requests per tenant. */
export const USERS_PAGE_SIZE = 999;

interface UsersPage {
  value: Array<Partial<DirectoryUser>>;
  '@odata.nextLink'?: string;
}

function toDirectoryUser(raw: Partial<DirectoryUser>): DirectoryUser | undefined {
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

/**
 * Pages through `GET /users` one page at a time, following `@odata.nextLink` as Graph gives it, so
 * the caller can write each page out before the next is fetched: memory stays one page deep.
 * (The SDK's PageIterator takes a synchronous callback, which cannot await the writes.)
 */
export async function* listUserPages(client: Client, timeoutMs: number): AsyncGenerator<DirectoryUser[]> {
  let page: UsersPage = await client
    .api('/users')
    .select([...CORE_ATTRIBUTES])
    .top(USERS_PAGE_SIZE)
    .option('signal', AbortSignal.timeout(timeoutMs))
    .get();
  for (;;) {
    yield page.value.map(toDirectoryUser).filter((user): user is DirectoryUser => user !== undefined);
    const next = page['@odata.nextLink'];
    if (next === undefined) return;
    page = await client.api(next).option('signal', AbortSignal.timeout(timeoutMs)).get();
  }
}
