import { USERS_DELTA_SCOPE } from '../../src/graph/listUserChanges';
import { totalOf } from '../../src/domain/PhotoOutcome';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { blobHashes, expectCountsAddUp, tenantUserIds, usersWithPhoto } from '../helpers/Invariants';

/**
 * The planner lists the directory with `GET /users/delta` (docs/design.md, "Planning"): the first
 * run pages through every user and keeps the round's `@odata.deltaLink`; each later run asks only
 * what changed since, writes only those users, and still checks every user's photo (photos have no
 * delta). A link Graph no longer keeps (410) costs one full listing, with a warning; a listing that
 * breaks off keeps the old link and removes nothing for departure.
 * 30 users, 5 a page: a full listing is 6 pages, a round of a few changes one.
 */

const USERS = 30;
const PAGE = 5;
let t: TestEnvironment;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: USERS, graphPageSize: PAGE });
  await t.setSettings(true, true);
});

beforeEach(() => {
  t.sim.resetFaults();
  t.sim.resetCounters();
});

afterAll(async () => {
  await t.stop();
});

const storedLink = (): Promise<string | undefined> => t.services.deltaLinks.read(USERS_DELTA_SCOPE);

/** Each identity record's ETag: any write to a record, even of the same values, gives it a new one. */
async function recordEtags(): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for await (const entity of t.services.storage.tables.users.listEntities())
    etags.set(entity.rowKey!, entity.etag);
  return etags;
}

function rewritten(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...after].filter(([userId, etag]) => before.get(userId) !== etag).map(([userId]) => userId);
}

/** The users the tenant has, departed ones left out: those whose photo every run checks. */
const inDirectory = (): number => t.tenant.users().filter((_, index) => t.tenant.isListed(index)).length;

test('the first run lists every user through /users/delta and keeps the round’s deltaLink', async () => {
  expect(await storedLink()).toBeUndefined();

  const run = await t.runSync();

  expect(run).toMatchObject({ status: 'completed', users: USERS, warnings: [] });
  expect(t.sim.counters.deltaPages).toBe(USERS / PAGE);
  expect(t.sim.counters.listPages).toBe(t.sim.counters.deltaPages);
  expect(await storedLink()).toMatch(/\/users\/delta\?\$deltatoken=/);
  expect((await recordEtags()).size).toBe(USERS);
});

test('an unchanged run writes no identity record and still checks every photo', async () => {
  // The run after the first records `unchanged` where it said `added`: a change of the record.
  await t.runSync();
  t.sim.resetCounters();
  const etags = await recordEtags();

  const run = await t.runSync();

  expect(run).toMatchObject({ status: 'completed', users: USERS });
  expect(totalOf(run.photos)).toBe(USERS);
  expect(run.photos).toMatchObject({ failed: 0, added: 0, updated: 0, removed: 0 });
  expect(t.sim.counters.batchItems).toBe(USERS);
  // One delta page, with nothing in it.
  expect(t.sim.counters.deltaPages).toBe(1);
  expect(rewritten(etags, await recordEtags())).toEqual([]);
  expect(await storedLink()).toMatch(/\$deltatoken=/);
});

test('a changed attribute and a new user: only those two records are written, from one delta page', async () => {
  const [renamed] = tenantUserIds(t);
  t.tenant.rename(renamed, 'Renamed Person');
  const hired = t.tenant.hire();
  const etags = await recordEtags();
  const linkBefore = await storedLink();

  const run = await t.runSync();

  expect(run).toMatchObject({ status: 'completed', users: USERS + 1 });
  expectCountsAddUp(run);
  expect(t.sim.counters.deltaPages).toBe(1);
  expect(t.sim.counters.batchItems).toBe(USERS + 1);
  expect(rewritten(etags, await recordEtags()).sort()).toEqual([renamed, hired.id].sort());
  expect(await t.services.identities.get(renamed)).toMatchObject({ displayName: 'Renamed Person' });
  expect(await t.services.identities.get(hired.id)).toMatchObject({
    displayName: hired.displayName,
    userPrincipalName: hired.userPrincipalName,
    inDirectory: true,
  });
  // The round's link moves on past the changes it delivered.
  expect(await storedLink()).not.toBe(linkBefore);
});

test('a deleted user comes back as @removed: recorded as departed, the photo removed without a Graph request', async () => {
  const gone = usersWithPhoto(t)[1];
  t.tenant.deleteUser(gone);

  const run = await t.runSync();

  expect(run.status).toBe('completed');
  expect(run.photos.removed).toBe(1);
  expectCountsAddUp(run);
  expect(t.sim.counters.deltaPages).toBe(1);
  expect(t.sim.counters.batchItems).toBe(inDirectory());
  expect((await blobHashes(t)).has(gone)).toBe(false);
  expect(await t.services.identities.get(gone)).toMatchObject({
    inDirectory: false,
    departedAt: expect.any(String),
    photoSha256: '',
    lastResult: 'removed',
  });
  expect((await t.services.events.recent(gone))[0]).toMatchObject({ result: 'removed', reason: 'departed' });
});

test('a link Graph no longer keeps (410): one full listing, warning deltaLinkExpired, logged, and a new link', async () => {
  const linkBefore = await storedLink();
  // A change the full listing delivers, so the new link differs from the old one.
  t.tenant.rename(tenantUserIds(t)[2], 'Renamed While Expired');
  t.sim.faults.deltaTokenExpired = true;

  const run = await t.runSync();

  expect(run.status).toBe('completed');
  expect(run.error).toBeNull();
  expect(run.warnings).toEqual([{ code: 'deltaLinkExpired', message: expect.stringMatching(/every user/) }]);
  expect(run.users).toBe(inDirectory());
  expectCountsAddUp(run);
  // The 410, then every page of the directory (the simulator pages by account, deleted ones too).
  expect(t.sim.counters.deltaPages).toBe(1 + Math.ceil(t.tenant.count / PAGE));
  expect(t.logLine('warning', 'deltaLinkExpired', run.runId)).toBeDefined();
  const linkAfter = await storedLink();
  expect(linkAfter).toMatch(/\$deltatoken=/);
  expect(linkAfter).not.toBe(linkBefore);
  expect(await t.services.identities.get(tenantUserIds(t)[2])).toMatchObject({
    displayName: 'Renamed While Expired',
  });

  // The new link works: the next run is one delta page again.
  t.sim.faults.deltaTokenExpired = false;
  t.sim.resetCounters();
  const next = await t.runSync();
  expect(next.warnings).toEqual([]);
  expect(t.sim.counters.deltaPages).toBe(1);
});

test('a listing that breaks off: the old link is kept, no photo removed for departure; the next run asks again from it', async () => {
  const linkBefore = await storedLink();
  const [gone, ...others] = usersWithPhoto(t).slice(3);
  t.tenant.deleteUser(gone);
  // 13 changes, 5 a page: the departure is on the first page, the break at the third.
  const renamed = others.slice(0, 12);
  for (const userId of renamed) t.tenant.rename(userId, `Renamed ${userId.slice(0, 8)}`);
  const blobsBefore = await blobHashes(t);
  t.sim.faults.listFailAfterPages = 2;

  const run = await t.runSync();

  expect(run.status).toBe('failed');
  expect(run.error?.code).toBe('listUsersFailed');
  expect(run.photos.removed).toBe(0);
  // Only the users the two pages delivered are checked (the departure and 9 renamed); the rest wait.
  expect(run.users).toBe(2 * PAGE - 1);
  expectCountsAddUp(run);
  expect(await blobHashes(t)).toEqual(blobsBefore);
  expect(await storedLink()).toBe(linkBefore);
  expect(await t.services.identities.get(gone)).toMatchObject({ inDirectory: false });

  t.sim.faults.listFailAfterPages = undefined;
  t.sim.resetCounters();
  const healed = await t.runSync();

  expect(healed).toMatchObject({ status: 'completed', warnings: [] });
  expect(healed.photos.removed).toBe(1);
  expect(t.sim.counters.deltaPages).toBe(3);
  expect((await blobHashes(t)).has(gone)).toBe(false);
  for (const userId of renamed)
    expect([userId, (await t.services.identities.get(userId))?.displayName]).toEqual([
      userId,
      `Renamed ${userId.slice(0, 8)}`,
    ]);
  expect(await storedLink()).not.toBe(linkBefore);
});
