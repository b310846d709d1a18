import { TestEnvironment } from '../helpers/TestEnvironment';
import { blobHashes, expectCountsAddUp, tenantUserIds } from '../helpers/Invariants';
import { MethodInterceptor } from '../helpers/MethodInterceptor';

/**
 * Scope groups (docs/design.md, "Settings" and "Scope, removals, purge and retention") against the simulator's groups: only the transitive members of
 * `photoGroupId`, never those of `photoExcludeGroupId`, have their photos checked and kept; a
 * stored photo of a user out of scope is removed with reason `outOfScope`; core attributes of
 * every user still sync; scope off again brings everyone back.
 */

const USERS = 40;
let t: TestEnvironment;
const interceptor = new MethodInterceptor();
let staff: string;
let optOut: string;
let ids: string[];

beforeAll(async () => {
  // Small pages, so the user and the member listings each span several pages.
  t = await TestEnvironment.start({ userCount: USERS, graphPageSize: 7 });
  ids = tenantUserIds(t);
  const contractors = t.tenant.groups.add({ displayName: 'Contractors', users: [ids[30], ids[31]] });
  staff = t.tenant.groups.add({
    displayName: 'Staff',
    userRange: { from: 0, to: 20 },
    groups: [contractors],
  });
  const optOutNested = t.tenant.groups.add({ displayName: 'Opt-out (contractors)', users: [ids[30]] });
  optOut = t.tenant.groups.add({
    displayName: 'Photo opt-out',
    users: [ids[2], ids[3]],
    groups: [optOutNested],
  });
  await t.setSettings(true, true);
});

afterEach(() => interceptor.restoreAll());

afterAll(async () => {
  await t.stop();
});

/** The users whose photo metadata the run asked Graph for. */
function recordMetadataRequests(): Set<string> {
  const asked = new Set<string>();
  interceptor.intercept(t.services.photoGraph, 'getMetadata', (original) => async (userIds) => {
    for (const userId of userIds) asked.add(userId);
    return original(userIds);
  });
  return asked;
}

const hasPhoto = (index: number) => t.tenant.photoOf(ids[index]) !== null;
const indices = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
/** Staff (0-19) and, nested, contractors (30, 31); minus the opt-out group (2, 3) and its nested one (30). */
const IN_SCOPE = [...indices(0, 20).filter((i) => i !== 2 && i !== 3), 31];

test('only the members of the scope group, nested ones included and the excluded ones not, are checked; the others lose their stored photo (outOfScope); core attributes of everyone still sync', async () => {
  await t.setScopeGroups(null, null);
  const everyone = await t.runSync();
  expect(everyone.photos.added).toBe(indices(0, USERS).filter(hasPhoto).length);
  t.tenant.rename(ids[35], 'Renamed While Out Of Scope');
  await t.setScopeGroups(staff, optOut);
  const asked = recordMetadataRequests();
  t.sim.resetCounters();

  const run = await t.runSync();

  expect([...asked].sort()).toEqual(IN_SCOPE.map((i) => ids[i]).sort());
  const outOfScope = indices(0, USERS).filter((i) => !IN_SCOPE.includes(i));
  const removed = outOfScope.filter(hasPhoto);
  expect(run).toMatchObject({ status: 'completed', users: USERS, warnings: [] });
  expect(run.photos).toMatchObject({ removed: removed.length, added: 0, failed: 0 });
  expect(run.skipped).toBe(outOfScope.length - removed.length);
  expectCountsAddUp(run);
  // Removals ask Graph nothing: one metadata item per user in scope, no download.
  expect(t.sim.counters.batchItems).toBe(IN_SCOPE.length);
  expect(t.sim.counters.groupPages).toBeGreaterThan(2);

  const blobs = await blobHashes(t);
  expect([...blobs.keys()].sort()).toEqual(
    IN_SCOPE.filter(hasPhoto)
      .map((i) => ids[i])
      .sort(),
  );
  // Exclusion wins: 2 and 3 are staff, 30 a contractor, all opted out.
  for (const i of [2, 3, 30]) {
    expect(blobs.has(ids[i])).toBe(false);
    expect(await t.services.identities.get(ids[i])).toMatchObject({ lastResult: 'removed', photoSha256: '' });
  }
  const [firstRemoved] = removed;
  expect((await t.services.events.recent(ids[firstRemoved]))[0]).toMatchObject({
    runId: run.runId,
    result: 'removed',
    reason: 'outOfScope',
  });
  expect(
    t
      .logEvents('photoResult')
      .find((entry) => entry.userId === ids[firstRemoved] && entry.runId === run.runId),
  ).toMatchObject({ result: 'removed', reason: 'outOfScope' });
  expect((await t.services.identities.get(ids[35]))?.displayName).toBe('Renamed While Out Of Scope');
});

test('a steady scope writes nothing for it; a member added to the group gets a photo in the next run', async () => {
  await t.setScopeGroups(staff, optOut);
  await t.runSync();
  const steady = await t.runSync();
  const listed = t.logEvents('scopeListed').filter((entry) => entry.runId === steady.runId);
  expect(listed.map((entry) => [entry.scope, entry.changedBuckets, entry.added, entry.deleted])).toEqual([
    ['include', 0, 0, 0],
    ['exclude', 0, 0, 0],
  ]);
  expect(steady.photos).toMatchObject({ added: 0, removed: 0 });

  t.tenant.groups.addMember(staff, ids[25]);
  const joined = await t.runSync();
  expect(joined.photos).toMatchObject({ added: 1, removed: 0 });
  expect((await blobHashes(t)).has(ids[25])).toBe(true);
  expect(t.logEvents('scopeListed').find((entry) => entry.runId === joined.runId)).toMatchObject({
    scope: 'include',
    added: 1,
    deleted: 0,
  });

  t.tenant.groups.addMember(optOut, ids[25]);
  const optedOut = await t.runSync();
  expect(optedOut.photos).toMatchObject({ added: 0, removed: 1 });
  expect((await blobHashes(t)).has(ids[25])).toBe(false);
});

test('scope off again: everyone is back', async () => {
  await t.setScopeGroups(staff, optOut);
  await t.runSync();
  const storedBefore = (await blobHashes(t)).size;
  await t.setScopeGroups(null, null);

  const run = await t.runSync();

  const withPhoto = indices(0, USERS).filter(hasPhoto);
  expect(run.photos.added).toBe(withPhoto.length - storedBefore);
  expect(run.skipped).toBe(0);
  expectCountsAddUp(run);
  expect([...(await blobHashes(t)).keys()].sort()).toEqual(withPhoto.map((i) => ids[i]).sort());
});
