import { TestEnvironment } from '../helpers/TestEnvironment';
import { MethodInterceptor } from '../helpers/MethodInterceptor';
import { tenantUserIds } from '../helpers/Invariants';
import { listGroupMemberPages } from '../../src/graph/listGroupMemberPages';
import { refreshScope, type ScopeRefreshDeps } from '../../src/sync/refreshScope';
import { SyncLog } from '../../src/sync/SyncLog';

/**
 * How the stored members of a scope group follow Graph (real Azurite, the Graph SDK against the
 * simulator): only buckets whose digest differs are rewritten, never more than the memory budget
 * of ids at once, and a crash while rewriting cannot leave a stored member the group lost.
 */

let t: TestEnvironment;
let ids: string[];
const interceptor = new MethodInterceptor();

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 80, graphPageSize: 9 });
  ids = tenantUserIds(t);
});

afterEach(() => interceptor.restoreAll());

afterAll(async () => {
  await t.stop();
});

function deps(memberBudget: number): ScopeRefreshDeps {
  return {
    listMemberPages: (groupId) => listGroupMemberPages(t.services.graphClient, groupId, 10_000),
    scope: t.services.scope,
    log: new SyncLog(t.context()),
    memberBudget,
  };
}

async function stored(): Promise<string[]> {
  const members: string[] = [];
  for await (const page of t.services.scope.members('include')) members.push(...page);
  return members;
}

const lastListed = () => t.logEvents('scopeListed').at(-1);

test('the first listing writes every member, a budget of ids at a time; a steady group writes nothing; a change only its bucket', async () => {
  const group = t.tenant.groups.add({ displayName: 'Sixty', userRange: { from: 0, to: 60 } });
  const state = await refreshScope('first', { photoGroupId: group, photoExcludeGroupId: null }, deps(10));

  expect(state).toEqual({ known: true, include: true, exclude: false });
  expect(await stored()).toEqual(ids.slice(0, 60).sort());
  const first = lastListed();
  expect(first).toMatchObject({ members: 60, added: 60, deleted: 0 });
  // Each later listing holds at most 10 ids (a bucket may hold more than one member).
  expect(Number(first?.listings)).toBeGreaterThanOrEqual(1 + Math.ceil(60 / 10));

  await refreshScope('steady', { photoGroupId: group, photoExcludeGroupId: null }, deps(10));
  expect(lastListed()).toMatchObject({ changedBuckets: 0, added: 0, deleted: 0, listings: 1 });

  t.tenant.groups.addMember(group, ids[70]);
  t.tenant.deleteUser(ids[3]);
  await refreshScope('change', { photoGroupId: group, photoExcludeGroupId: null }, deps(10));
  expect(lastListed()).toMatchObject({ added: 1, deleted: 1, listings: 2 });
  expect(await stored()).toEqual([...ids.slice(0, 60).filter((id) => id !== ids[3]), ids[70]].sort());
});

test('a crash after members were rewritten, before their digest was saved, is healed by the next listing', async () => {
  const group = t.tenant.groups.add({ displayName: 'Two', users: [ids[10], ids[11]] });
  const settings = { photoGroupId: group, photoExcludeGroupId: null };
  await refreshScope('before', settings, deps(100));
  expect(await stored()).toEqual([ids[10], ids[11]].sort());

  // The group gains a member; the refresh stores it, then dies before saving the new digest.
  t.tenant.groups.addMember(group, ids[12]);
  let saves = 0;
  interceptor.intercept(t.services.scope, 'saveDigests', (original) => async (...args) => {
    if (++saves === 2)
      throw Object.assign(new Error('Simulated: table service unreachable'), { statusCode: 503 });
    return original(...args);
  });
  await expect(refreshScope('crash', settings, deps(100))).rejects.toThrow(/unreachable/);
  interceptor.restoreAll();
  expect(await stored()).toContain(ids[12]);

  // Back to the old membership: the listing matches the old digest, but that bucket was marked.
  t.tenant.groups.removeMember(group, ids[12]);
  await refreshScope('after', settings, deps(100));
  expect(await stored()).toEqual([ids[10], ids[11]].sort());
});
