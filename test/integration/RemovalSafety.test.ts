import { randomUUID } from 'node:crypto';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { blobHashes, expectCountsAddUp, tenantUserIds } from '../helpers/Invariants';
import type { Run } from '../../src/domain/Run';

/**
 * Removing photos is where a sync does harm (docs/design.md, "Scope, removals, purge and retention"): nothing is removed for scope or departure
 * on incomplete knowledge — a group Graph does not know, a group or user listing that broke off —
 * and never more than PHOTO_REMOVAL_LIMIT in one run unless `allowRemovals` says so. Here the
 * limit is 5, the tenant 30 users, and the scope group 4 of them.
 */

const USERS = 30;
const LIMIT = 5;
let t: TestEnvironment;
let ids: string[];
let small: string;

beforeAll(async () => {
  t = await TestEnvironment.start({
    userCount: USERS,
    graphPageSize: 5,
    env: { PHOTO_REMOVAL_LIMIT: String(LIMIT) },
  });
  ids = tenantUserIds(t);
  small = t.tenant.groups.add({ displayName: 'Four', users: ids.slice(0, 4) });
  await t.setSettings(true, true);
});

beforeEach(async () => {
  t.sim.resetFaults();
  await t.setScopeGroups(null, null);
  await t.runSync();
});

afterAll(async () => {
  await t.stop();
});

/** Nothing stored changed, and not one photo request reached Graph. */
async function expectNoPhotoTouched(run: Run, before: Map<string, string>): Promise<void> {
  expect(run.photos.removed).toBe(0);
  expect(await blobHashes(t)).toEqual(before);
  expect(t.sim.counters.batchItems + t.sim.counters.directValue).toBe(0);
}

test('a scope group Graph does not know: warning scopeGroupNotFound, no photo synced or removed, counts add up', async () => {
  const before = await blobHashes(t);
  await t.setScopeGroups(randomUUID(), null);
  t.sim.resetCounters();

  const run = await t.runSync();

  expect(run.status).toBe('completed');
  expect(run.warnings).toEqual([{ code: 'scopeGroupNotFound', message: expect.stringMatching(/no group/) }]);
  expect(run.skipped).toBe(USERS);
  expectCountsAddUp(run);
  await expectNoPhotoTouched(run, before);
  expect(t.logEvents('scopeGroupNotFound').at(-1)).toMatchObject({ runId: run.runId });
});

test('a group listing that breaks off midway: warning scopeListingFailed, no removal', async () => {
  const big = t.tenant.groups.add({ displayName: 'Twelve', users: ids.slice(0, 12) });
  const before = await blobHashes(t);
  await t.setScopeGroups(big, null);
  t.sim.faults.groupListFailAfterPages = 1;
  t.sim.resetCounters();

  const run = await t.runSync();

  expect(run.warnings).toEqual([{ code: 'scopeListingFailed', message: expect.stringMatching(/broke off/) }]);
  expectCountsAddUp(run);
  await expectNoPhotoTouched(run, before);
});

test('the group listing without permission: the warning names GroupMember.Read.All', async () => {
  await t.setScopeGroups(null, small);
  t.sim.faults.groupPermissionDenied = true;

  const run = await t.runSync();

  expect(run.warnings[0]).toMatchObject({
    code: 'scopeListingFailed',
    message: expect.stringContaining('GroupMember.Read.All'),
  });
  expect(run.photos.removed).toBe(0);
});

test('a user listing that breaks off midway: no scope or departure removal, listed users in scope still checked', async () => {
  const before = await blobHashes(t);
  // The delta round names 13 changes, 5 a page: the 4 scope members and the departure on its first
  // page, the break on the third. Only users it delivered are checked.
  t.tenant.deleteUser(ids[5]);
  for (const id of [...ids.slice(0, 4), ...ids.slice(6, 14)])
    t.tenant.rename(id, `Renamed ${id.slice(0, 8)}`);
  await t.setScopeGroups(small, null);
  t.sim.faults.listFailAfterPages = 2;

  const run = await t.runSync();

  expect(run.status).toBe('failed');
  expect(run.error?.code).toBe('listUsersFailed');
  expect(run.warnings.map((warning) => warning.code)).toEqual(['listUsersFailed']);
  expect(run.photos.removed).toBe(0);
  expect(run.photos.unchanged).toBe(4);
  expectCountsAddUp(run);
  expect(await blobHashes(t)).toEqual(before);
  // Graph said the user left, so the record says so; the photo waits for a whole listing.
  expect(await t.services.identities.get(ids[5])).toMatchObject({
    inDirectory: false,
    photoSha256: before.get(ids[5]),
  });
});

test('more removals than PHOTO_REMOVAL_LIMIT: none of them, a warning with the count; allowRemovals lifts it for one run', async () => {
  const before = await blobHashes(t);
  const wouldGo = [...before.keys()].filter((userId) => !ids.slice(0, 4).includes(userId));
  expect(wouldGo.length).toBeGreaterThan(LIMIT);
  await t.setScopeGroups(small, null);

  const held = await t.runSync();

  expect(held.status).toBe('completed');
  expect(held.warnings).toEqual([
    {
      code: 'removalLimitExceeded',
      message: expect.stringContaining('allowRemovals'),
      count: wouldGo.length,
    },
  ]);
  expect(held.photos).toMatchObject({ removed: 0, unchanged: 4 });
  expect(held.skipped).toBe(held.users - 4);
  expectCountsAddUp(held);
  expect(await blobHashes(t)).toEqual(before);
  expect(
    t.logs.some((line) => line.level === 'warning' && line.message.includes('removalLimitExceeded')),
  ).toBe(true);

  const lifted = await t.runSync({ allowRemovals: true });

  expect(lifted.warnings).toEqual([]);
  expect(lifted.photos.removed).toBe(wouldGo.length);
  expectCountsAddUp(lifted);
  expect([...(await blobHashes(t)).keys()].sort()).toEqual(
    ids
      .slice(0, 4)
      .filter((id) => before.has(id))
      .sort(),
  );

  // The next run is held to the limit again; nothing is left to remove.
  const next = await t.runSync();
  expect(next.warnings).toEqual([]);
});

test('photos Graph answers 404 for are removed whatever the limit', async () => {
  const withPhoto = [...(await blobHashes(t)).keys()].slice(0, LIMIT + 2);
  for (const userId of withPhoto) t.tenant.removePhoto(userId);

  const run = await t.runSync();

  expect(run.photos.removed).toBe(withPhoto.length);
  expect(run.warnings).toEqual([]);
  for (const userId of withPhoto) t.tenant.addPhoto(userId);
});
