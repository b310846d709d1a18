import { graphError, jsonAnswer, type GraphAnswer } from './GraphAnswer';
import type { GraphCall } from './GraphCall';
import type { SimulatorState } from './SimulatorState';
import { encodeSkipToken, readPaging } from './Paging';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `GET /groups/{id}/transitiveMembers/microsoft.graph.user`: a group's users through any nesting,
 * `$select` of `id` only and `$top` ≤ 999 as Graph takes them, paged by `$skiptoken`; 404
 * `Request_ResourceNotFound` for a group the tenant does not have, 403 without the permission.
 */
export function listGroupMembers(
  sim: Pick<SimulatorState, 'tenant' | 'baseUrl' | 'counters' | 'faults'>,
  call: GraphCall,
  groupId: string,
): GraphAnswer {
  sim.counters.groupPages++;
  const paging = readPaging(call.query);
  if ('status' in paging) return paging;
  const { top, position } = paging;
  const select = call.query.get('$select');
  if (select !== null && select.toLowerCase() !== 'id')
    return graphError(
      400,
      'BadRequest',
      `The simulator serves group members with $select=id only, not '${select}'.`,
    );
  if (sim.faults.groupPermissionDenied)
    return graphError(
      403,
      'Authorization_RequestDenied',
      'Insufficient privileges to complete the operation.',
    );
  if (!GUID.test(groupId))
    return graphError(400, 'Request_BadRequest', `Invalid object identifier '${groupId}'.`);
  if (!sim.tenant.groups.has(groupId))
    return graphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${groupId}' does not exist or one of its queried reference-property objects are not present.`,
    );
  const failAfter = sim.faults.groupListFailAfterPages;
  if (failAfter !== undefined && position.page >= failAfter)
    return graphError(500, 'InternalServerError', 'Simulated failure while listing group members.');

  const members = sim.tenant.groups.transitiveUserIndices(groupId);
  const end = Math.min(members.length, position.start + top);
  const body: Record<string, unknown> = {
    '@odata.context': `${sim.baseUrl}/$metadata#directoryObjects(id)`,
  };
  if (end < members.length) {
    const nextToken = encodeSkipToken({ start: end, page: position.page + 1 });
    body['@odata.nextLink'] =
      `${sim.baseUrl}/groups/${groupId}/transitiveMembers/microsoft.graph.user?$select=id&$top=${top}&$skiptoken=${nextToken}`;
  }
  body['value'] = members
    .slice(position.start, end)
    .map((index) => ({ '@odata.type': '#microsoft.graph.user', id: sim.tenant.userAt(index).id }));
  return jsonAnswer(200, body);
}
