import { TestEnvironment } from '../helpers/TestEnvironment';
import { usersHandler } from '../../src/functions/users';
import { blobHashes, expectCountsAddUp, usersWithoutPhoto, usersWithPhoto } from '../helpers/Invariants';

/**
 * A user deleted from Entra ID comes back from the next delta round as `@removed`. The planner
 * records every such user as departed (`inDirectory: false` with `departedAt`, core attributes
 * kept) and sends those who still have a photo to removal jobs: the photo goes (`removed`, reason
 * `departed`) without a Graph request. One without a photo is only marked: nothing else of the
 * record changes.
 * Its own environment: the shared invariants take every simulated user to be in the directory.
 */

const USERS = 30;

/** A record's fields besides the departure marks and what every write renews (ETag, timestamp). */
function withoutDeparture(entity: object | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...entity };
  for (const key of ['inDirectory', 'departedAt', 'etag', 'timestamp']) delete fields[key];
  return fields;
}
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
  const departedIds = [gone, goneWithoutPhoto].sort();
  expect((departed.jsonBody as { users: Array<{ id: string; inDirectory: boolean }> }).users).toEqual(
    departedIds.map((id) =>
      expect.objectContaining({ id, inDirectory: false, departedAt: expect.any(String) }),
    ),
  );
  expect(record?.displayName).toBeTruthy();
  const marked = await t.services.identities.get(goneWithoutPhoto);
  expect(marked).toMatchObject({ inDirectory: false, departedAt: expect.any(String) });
  expect(withoutDeparture(marked)).toEqual(withoutDeparture(untouched));
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
