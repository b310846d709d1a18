import { z } from 'zod';
import { graphError, jsonAnswer, type GraphAnswer } from './GraphAnswer';
import type { GraphCall } from './GraphCall';
import { DEFAULT_USER_PROPERTIES, projectUser, readSelect, type UserProperty } from './listUsers';
import type { SimulatorState } from './SimulatorState';

/**
 * Where a delta round stands: the change counter it reports changes after (`null`: the initial
 * round, every user), the counter when the round began (its deltaLink's), the next position and
 * page index, and the `$select` the round tracks.
 */
const DeltaState = z.object({
  after: z.number().int().nullable(),
  upTo: z.number().int(),
  start: z.number().int().nonnegative(),
  page: z.number().int().nonnegative(),
  select: z.array(z.string()).nullable(),
});
type DeltaState = z.infer<typeof DeltaState>;

function encodeState(state: DeltaState): string {
  return Buffer.from(`simdelta1:${JSON.stringify(state)}`).toString('base64url');
}

function decodeState(token: string): DeltaState | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (!text.startsWith('simdelta1:')) return undefined;
  try {
    const parsed = DeltaState.safeParse(JSON.parse(text.slice('simdelta1:'.length)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const GONE = (): GraphAnswer =>
  graphError(
    410,
    'syncStateNotFound',
    'The sync state generation is not found or has expired. Resync is required: start without a delta token.',
  );

/**
 * `GET /users/delta` as Graph serves it for directory objects: the initial round pages through every
 * user and ends with an `@odata.deltaLink`; a round from that link returns only the users whose
 * tracked properties changed since (new ones included) and `{ id, "@removed" }` for deleted ones.
 * Page size is the server's (`pageSize`): delta takes no `$top`. `$select` is honoured and kept in
 * the links; a token the simulator did not issue, or any token while `deltaTokenExpired`, is 410.
 */
export function listUserDelta(
  sim: Pick<SimulatorState, 'tenant' | 'baseUrl' | 'counters' | 'faults'>,
  call: GraphCall,
  pageSize: number,
): GraphAnswer {
  sim.counters.listPages++;
  sim.counters.deltaPages++;
  const unsupported = [...call.query.keys()].find(
    (k) => k.startsWith('$') && !['$select', '$skiptoken', '$deltatoken'].includes(k),
  );
  if (unsupported)
    return graphError(400, 'Request_UnsupportedQuery', `Unsupported query option for delta: ${unsupported}.`);
  const { tenant, baseUrl } = sim;
  const deltaToken = call.query.get('$deltatoken');
  const skipToken = call.query.get('$skiptoken');
  let state: DeltaState;
  if (deltaToken !== null) {
    const from = decodeState(deltaToken);
    if (from === undefined || sim.faults.deltaTokenExpired) return GONE();
    state = { after: from.upTo, upTo: tenant.version, start: 0, page: 0, select: from.select };
  } else if (skipToken !== null) {
    const from = decodeState(skipToken);
    if (from === undefined) return GONE();
    state = from;
  } else {
    const select = readSelect(call.query);
    if (select !== undefined && 'status' in select) return select;
    state = { after: null, upTo: tenant.version, start: 0, page: 0, select: select ?? null };
  }
  const failAfter = sim.faults.listFailAfterPages;
  if (failAfter !== undefined && state.page >= failAfter)
    return graphError(500, 'InternalServerError', 'Simulated failure while listing users.');

  // The initial round walks every index; a later one only the changed ones.
  const indexes =
    state.after === null
      ? { length: tenant.count, at: (i: number) => i }
      : ((changed) => ({ length: changed.length, at: (i: number) => changed[i] }))(
          tenant.changedSince(state.after),
        );
  const end = Math.min(indexes.length, state.start + pageSize);
  const select = (state.select as UserProperty[] | null) ?? DEFAULT_USER_PROPERTIES;
  const value: Record<string, unknown>[] = [];
  for (let i = state.start; i < end; i++) {
    const index = indexes.at(i);
    const user = tenant.userAt(index);
    if (tenant.isListed(index)) value.push(projectUser(user, select));
    else if (state.after !== null) value.push({ id: user.id, '@removed': { reason: 'deleted' } });
  }
  const body: Record<string, unknown> = { '@odata.context': `${baseUrl}/$metadata#users` };
  if (end < indexes.length)
    body['@odata.nextLink'] =
      `${baseUrl}/users/delta?$skiptoken=${encodeState({ ...state, start: end, page: state.page + 1 })}`;
  else
    body['@odata.deltaLink'] =
      `${baseUrl}/users/delta?$deltatoken=${encodeState({ ...state, after: null, start: 0, page: 0 })}`;
  body['value'] = value;
  return jsonAnswer(200, body);
}
