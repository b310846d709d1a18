import type { Client } from '@microsoft/microsoft-graph-client';
import { isObjectId } from '../domain/UserId';
import { graphPages } from './graphPages';

/** Graph's largest page for member listings. */
export const MEMBERS_PAGE_SIZE = 999;

/**
 * The object ids of a group's transitive user members (nested groups resolved by Graph), a page at
 * a time: `GET /groups/{id}/transitiveMembers/microsoft.graph.user?$select=id&$top=999`. Needs the
 * application permission GroupMember.Read.All (or Group.Read.All).
 */
export async function* listGroupMemberPages(
  client: Client,
  groupId: string,
  timeoutMs: number,
): AsyncGenerator<string[]> {
  const first = client
    .api(`/groups/${encodeURIComponent(groupId)}/transitiveMembers/microsoft.graph.user`)
    .select(['id'])
    .top(MEMBERS_PAGE_SIZE);
  for await (const page of graphPages(client, first, timeoutMs))
    yield page.value
      .map((member) => (member as { id?: unknown }).id)
      .filter((id): id is string => typeof id === 'string' && isObjectId(id))
      .map((id) => id.toLowerCase());
}
