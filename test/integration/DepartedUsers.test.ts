import { TestEnvironment } from '../helpers/TestEnvironment';
import { usersHandler } from '../../src/functions/users';
import { blobHashes, expectCountsAddUp, usersWithoutPhoto, usersWithPhoto } from '../helpers/Invariants';

/**
 * A user deleted from Entra ID is no longer listed. After a whole listing the planner sends the
 * stored users it did not list, if they still have a photo, to removal jobs: the photo goes
 * (`removed`, reason `departed`) without a Graph request, while the record's core attributes stay,
 * marked `inDirectory: false` with `departedAt`.
 * Its own environment: the shared invariants take every simulated user to be in the directory.
 */

const USERS = 30;
let t: TestEnvironment;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: USERS, graphPageSize: 10 });
});

afterAll(async () => {
  await t.stop();
});

test("a deleted user's stored photo is removed by the next run (reason departed) and counted there; neither is asked of Graph", async () => {
  await t.setSettings(true, true);
  const first = await t.runSync();
  expect(first.photos.added).toBe(usersWithPhoto(t).length);
  const [gone] = usersWithPhoto(t);
  const [goneWithoutPhoto] = usersWithoutPhoto(t);
  const untouched = await t.services.identities.get(goneWithoutPhoto);
  t.tenant.deleteUser(gone);
  t.tenant.deleteUser(goneWithoutPhoto);
  t.sim.resetCounters();

  const run = await t.runSync();

  // 28 listed and the one departed user with a photo.
  expect(run).toMatchObject({ status: 'completed', users: USERS - 1 });
  expect(run.photos).toMatchObject({ removed: 1, failed: 0, added: 0, updated: 0 });
  expectCountsAddUp(run);
  expect(t.sim.counters.batchItems).toBe(USERS - 2);
  expect(t.sim.counters.directValue + t.sim.counters.directMetadata).toBe(0);
  expect((await blobHashes(t)).has(gone)).toBe(false);
  const record = await t.services.identities.get(gone);
  expect(record).toMatchObject({
    lastResult: 'removed',
    photoSha256: '',
    lastRunId: run.runId,
    inDirectory: false,
    departedAt: expect.any(String),
  });
  expect((await t.services.events.recent(gone))[0]).toMatchObject({ result: 'removed', reason: 'departed' });
  const departed = await t.http(usersHandler, { method: 'GET', path: 'users?inDirectory=false' });
  expect((departed.jsonBody as { users: Array<{ id: string; inDirectory: boolean }> }).users).toEqual([
    expect.objectContaining({ id: gone, inDirectory: false, departedAt: expect.any(String) }),
  ]);
  expect(record?.displayName).toBeTruthy();
  expect(await t.services.identities.get(goneWithoutPhoto)).toEqual(untouched);
  expect(
    t.logEvents('photoResult').find((entry) => entry.userId === gone && entry.runId === run.runId),
  ).toMatchObject({ result: 'removed', reason: 'departed' });
  expect(t.logEvents('photoJobsEnqueued').find((entry) => entry.runId === run.runId)).toMatchObject({
    departedUsers: 1,
  });

  // Removed once: the next run no longer asks for them.
  t.sim.resetCounters();
  const next = await t.runSync();
  expect(next).toMatchObject({ status: 'completed', users: USERS - 2 });
  expect(t.sim.counters.batchItems).toBe(USERS - 2);
});

test("photo sync off: a deleted user's stored photo stays exactly as it is", async () => {
  await t.setSettings(true, true);
  await t.runSync();
  const [gone] = usersWithPhoto(t);
  const before = (await blobHashes(t)).get(gone);
  const record = await t.services.identities.get(gone);
  t.tenant.deleteUser(gone);
  await t.setSettings(true, false);

  const run = await t.runSync();

  expect(run.photos).toMatchObject({ removed: 0 });
  expect((await blobHashes(t)).get(gone)).toBe(before);
  expect((await t.services.identities.get(gone))?.photoSha256).toBe(record?.photoSha256);
});
