import { usersHandler } from '../../src/functions/users';
import type { Run } from '../../src/domain/Run';
import type { IdentityStore } from '../../src/storage/IdentityStore';
import { MethodInterceptor } from '../helpers/MethodInterceptor';
import { TestEnvironment } from '../helpers/TestEnvironment';

/**
 * A check that finds a photo as stored writes nothing to the user's record; the users API still
 * tells when each user was last checked and with what result, from the marker of the job that
 * checked them.
 */

const USERS = 100;
let t: TestEnvironment;
const interceptor = new MethodInterceptor();
/** User ids whose photo fields the worker wrote since the last reset. */
let written: string[] = [];

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: USERS });
  await t.setSettings(true, true);
  // First photos: every user's record is written once.
  await t.runSync();
  interceptor.intercept(
    t.services.identities,
    'writePhotoFields',
    (write): IdentityStore['writePhotoFields'] =>
      async (updates) => {
        written.push(...updates.map((update) => update.userId));
        await write(updates);
      },
  );
});

afterAll(async () => {
  interceptor.restoreAll();
  await t.stop();
});

interface UserBody {
  id: string;
  photo: { status: string; lastResult: string | null; lastCheckedAt: string | null };
}

const getUser = async (userId: string): Promise<UserBody> => {
  const response = await t.http(usersHandler, {
    method: 'GET',
    path: `users/${userId}`,
    params: { userId },
  });
  expect(response.status).toBe(200);
  return response.jsonBody as UserBody;
};

const listUsers = async (query: string): Promise<UserBody[]> => {
  const response = await t.http(usersHandler, { method: 'GET', path: `users${query}` });
  expect(response.status).toBe(200);
  return (response.jsonBody as { users: UserBody[] }).users;
};

const tenantIds = (): string[] => Array.from({ length: USERS }, (_, index) => t.tenant.userAt(index).id);

/** Within the run: after it started, and no later than its end. */
const checkedIn = (run: Run) => (at: string | null) =>
  at !== null && at >= run.startedAt && run.finishedAt !== null && at <= run.finishedAt;

test('nothing changed, right after every photo was added: no user record is written, and the API tells each user was checked by this run, unchanged', async () => {
  written = [];
  const run = await t.runSync();

  expect(run.status).toBe('completed');
  expect(run.photos.unchanged + run.photos.noPhoto).toBe(USERS);
  expect(written).toEqual([]);
  const listed = await listUsers('?top=500');
  expect(listed).toHaveLength(USERS);
  for (const user of listed)
    expect([user.id, checkedIn(run)(user.photo.lastCheckedAt)]).toEqual([user.id, true]);
  const someone = tenantIds().find((id) => t.tenant.photoOf(id) !== null)!;
  const one = await getUser(someone);
  expect(one.photo).toMatchObject({ status: 'present', lastResult: 'unchanged' });
  expect(checkedIn(run)(one.photo.lastCheckedAt)).toBe(true);
  // ?result= is the outcome of the last check, though the record still says `added`.
  const unchanged = await listUsers('?top=500&result=unchanged');
  expect(unchanged.map((user) => user.id).sort()).toEqual(
    tenantIds()
      .filter((id) => t.tenant.photoOf(id) !== null)
      .sort(),
  );
  expect(await listUsers('?top=500&result=added')).toEqual([]);
  // A search filtered by result decides the same way.
  const name = encodeURIComponent(t.tenant.userAt(tenantIds().indexOf(someone)).displayName);
  expect((await listUsers(`?search=${name}&result=unchanged`)).map((user) => user.id)).toContain(someone);
  expect(await listUsers(`?search=${name}&result=added`)).toEqual([]);
});

test('a changed photo writes its user once; the checks after it, unchanged again, never', async () => {
  const changed = tenantIds().find((id) => t.tenant.photoOf(id) !== null)!;
  t.tenant.changePhoto(changed);
  written = [];
  await t.runSync();
  expect(written).toEqual([changed]);
  expect((await getUser(changed)).photo.lastResult).toBe('updated');
  expect((await listUsers('?top=500&result=updated')).map((user) => user.id)).toEqual([changed]);

  written = [];
  const quiet = await t.runSync();
  expect(written).toEqual([]);
  expect(await getUser(changed)).toMatchObject({ photo: { lastResult: 'unchanged' } });
  expect(await listUsers('?top=500&result=updated')).toEqual([]);
  expect((await listUsers('?top=500&result=unchanged')).map((user) => user.id)).toContain(changed);
  expect(checkedIn(quiet)((await getUser(changed)).photo.lastCheckedAt)).toBe(true);
});

test('while a run has not reached a user yet, the API shows the check of the run before', async () => {
  const finished = await t.runSync();
  const someone = tenantIds()[0];
  const before = (await getUser(someone)).photo.lastCheckedAt;
  expect(checkedIn(finished)(before)).toBe(true);

  await t.planOnly();

  expect((await getUser(someone)).photo.lastCheckedAt).toBe(before);
  await t.drainQueues();
  expect((await getUser(someone)).photo.lastCheckedAt! > before!).toBe(true);
});
