import { graphError, jsonAnswer, type GraphAnswer } from './GraphAnswer';
import type { GraphCall } from './GraphCall';
import type { SimulatedUser } from './SimulatedTenant';
import type { SimulatorState } from './SimulatorState';
import { encodeSkipToken, readPaging } from './Paging';

export type UserProperty =
  | keyof SimulatedUser
  | 'businessPhones'
  | 'jobTitle'
  | 'mobilePhone'
  | 'officeLocation'
  | 'preferredLanguage'
  | 'department';
const USER_PROPERTIES: readonly UserProperty[] = [
  'id',
  'displayName',
  'givenName',
  'surname',
  'userPrincipalName',
  'mail',
  'accountEnabled',
  'businessPhones',
  'jobTitle',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'department',
];
/** What Graph returns for users without `$select`. */
export const DEFAULT_USER_PROPERTIES: readonly UserProperty[] = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
];

/** `GET /users`: one page, `$select` and `$top` as Graph takes them, the next page by `$skiptoken`. */
export function listUsers(
  sim: Pick<SimulatorState, 'tenant' | 'baseUrl' | 'counters' | 'faults'>,
  call: GraphCall,
): GraphAnswer {
  sim.counters.listPages++;
  const paging = readPaging(call.query);
  if ('status' in paging) return paging;
  const { top, position } = paging;
  const select = readSelect(call.query);
  if (select !== undefined && 'status' in select) return select;
  const failAfter = sim.faults.listFailAfterPages;
  if (failAfter !== undefined && position.page >= failAfter)
    return graphError(500, 'InternalServerError', 'Simulated failure while listing users.');

  const { tenant, baseUrl } = sim;
  const end = Math.min(tenant.count, position.start + top);
  const value: Record<string, unknown>[] = [];
  for (let i = position.start; i < end; i++)
    if (tenant.isListed(i)) value.push(projectUser(tenant.userAt(i), select ?? DEFAULT_USER_PROPERTIES));
  const selectText = select ? select.join(',') : undefined;
  const body: Record<string, unknown> = {
    '@odata.context': `${baseUrl}/$metadata#users${selectText ? `(${selectText})` : ''}`,
  };
  if (end < tenant.count) {
    const selectPart = selectText ? `$select=${selectText}&` : '';
    const nextToken = encodeSkipToken({ start: end, page: position.page + 1 });
    body['@odata.nextLink'] = `${baseUrl}/users?${selectPart}$top=${top}&$skiptoken=${nextToken}`;
  }
  body['value'] = value;
  return jsonAnswer(200, body);
}

/** `$select` as canonical property names (undefined without one), or Graph's 400 for an unknown name. */
export function readSelect(query: URLSearchParams): UserProperty[] | undefined | GraphAnswer {
  const select = parseSelect(query.get('$select'));
  return typeof select === 'string'
    ? graphError(
        400,
        'BadRequest',
        `Could not find a property named '${select}' on type 'microsoft.graph.user'.`,
      )
    : select;
}

/** Canonical property names, undefined without `$select`, or the first unknown name. */
function parseSelect(text: string | null): UserProperty[] | undefined | string {
  if (text === null) return undefined;
  const selected: UserProperty[] = [];
  for (const name of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const property = USER_PROPERTIES.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!property) return name;
    if (!selected.includes(property)) selected.push(property);
  }
  return selected;
}

export function projectUser(
  user: SimulatedUser,
  properties: readonly UserProperty[],
): Record<string, unknown> {
  const projected: Record<string, unknown> = { id: user.id };
  for (const property of properties) {
    if (property === 'businessPhones') projected[property] = [];
    else projected[property] = property in user ? user[property as keyof SimulatedUser] : null;
  }
  return projected;
}
