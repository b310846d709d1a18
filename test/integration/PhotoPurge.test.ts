import { TestEnvironment } from '../helpers/TestEnvironment';
import { blobHashes, expectCountsAddUp, tenantUserIds } from '../helpers/Invariants';
import { MethodInterceptor } from '../helpers/MethodInterceptor';
import { photosPurgeHandler } from '../../src/functions/photosPurge';
import { settingsHandler } from '../../src/functions/settings';
import type { Run } from '../../src/domain/Run';
import type { UserEntity } from '../../src/storage/IdentityStore';
import type { ImageContentType } from '../../src/domain/PhotoImage';

/**
 * `POST /api/photos/purge` (docs/design.md, "HTTP API"): only while photo sync is off, a run with trigger `purge`
 * deletes every stored photo — blobs and photo fields, `removed` with reason `purged` — without
 * one Graph request; a run like the others, which a storage fault does not stop; and nothing but
 * photos is deleted.
 */

let t: TestEnvironment;
const interceptor = new MethodInterceptor();

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 45 });
});

beforeEach(async () => {
  await t.setSettings(true, true);
  await t.runSync();
});

afterEach(() => interceptor.restoreAll());

afterAll(async () => {
  await t.stop();
});

const purge = (body = '{"confirm":true}') =>
  t.http(photosPurgeHandler, {
    method: 'POST',
    path: 'photos/purge',
    body,
    headers: { 'Content-Type': 'application/json' },
  });

async function purgeToTheEnd(): Promise<Run> {
  const response = await purge();
  expect(response.status).toBe(202);
  const { runId } = response.jsonBody as { runId: string };
  await t.drainQueues();
  const run = await t.services.runs.get(runId);
  if (run === undefined) throw new Error('no purge run');
  return run;
}

/** Every record without its photo fields and outcome: what a purge must leave exactly as it was. */
async function recordsWithoutPhotos(): Promise<Map<string, Partial<UserEntity>>> {
  const records = new Map<string, Partial<UserEntity>>();
  for (const userId of tenantUserIds(t)) {
    const record = await t.services.identities.get(userId);
    if (record === undefined) continue;
    const { displayName, userPrincipalName, mail, accountEnabled, coreSyncedAt, inDirectory } = record;
    records.set(userId, { displayName, userPrincipalName, mail, accountEnabled, coreSyncedAt, inDirectory });
  }
  return records;
}

test('refused while photo sync is active (409 photoSyncActive), and without {"confirm": true} (400); nothing deleted', async () => {
  const before = await blobHashes(t);
  const active = await purge();
  expect(active.status).toBe(409);
  expect((active.jsonBody as { error: { code: string } }).error.code).toBe('photoSyncActive');
  await t.setSettings(true, false);
  for (const body of ['{}', '{"confirm":false}', '{"confirm":"yes"}', '{"confirm":true,"also":1}'])
    expect((await purge(body)).status).toBe(400);
  await t.drainQueues();
  expect(await blobHashes(t)).toEqual(before);
});

test('with photo sync off: every stored photo removed (reason purged), no Graph request, counts like any run; only photos deleted', async () => {
  const stored = await blobHashes(t);
  expect(stored.size).toBeGreaterThan(0);
  await t.setSettings(false, true);
  const settingsBefore = (await t.http(settingsHandler, { method: 'GET', path: 'settings' })).jsonBody;
  const historyBefore = await t.services.settings.history({ top: 100 });
  const recordsBefore = await recordsWithoutPhotos();
  const runsBefore = await t.services.runs.list(50);
  t.sim.resetCounters();

  const run = await purgeToTheEnd();

  expect(run).toMatchObject({
    status: 'completed',
    trigger: 'purge',
    users: stored.size,
    jobs: { total: Math.ceil(stored.size / 20), done: Math.ceil(stored.size / 20) },
    warnings: [],
  });
  expect(run.photos).toMatchObject({ removed: stored.size, added: 0, updated: 0, failed: 0 });
  expectCountsAddUp(run);
  expect(t.sim.counters.requests).toBe(0);
  expect((await blobHashes(t)).size).toBe(0);
  const [someone] = stored.keys();
  expect(await t.services.identities.get(someone)).toMatchObject({
    photoSha256: '',
    photoEtag: '',
    lastResult: 'removed',
  });
  expect((await t.services.events.recent(someone))[0]).toMatchObject({ result: 'removed', reason: 'purged' });
  expect(
    t.logEvents('photoResult').find((entry) => entry.userId === someone && entry.runId === run.runId),
  ).toMatchObject({ result: 'removed', reason: 'purged' });

  // Nothing but photos: records, settings, history and runs as they were.
  expect(await recordsWithoutPhotos()).toEqual(recordsBefore);
  expect((await t.http(settingsHandler, { method: 'GET', path: 'settings' })).jsonBody).toEqual(
    settingsBefore,
  );
  expect(await t.services.settings.history({ top: 100 })).toEqual(historyBefore);
  expect((await t.services.runs.list(50)).map((r) => r.runId)).toEqual([
    run.runId,
    ...runsBefore.map((r) => r.runId),
  ]);

  // Photo sync on again: the photos come back.
  await t.setSettings(true, true);
  expect((await t.runSync()).photos.added).toBe(stored.size);
});

test('a storage fault mid-purge: the job is delivered again and the purge completes, each photo counted once', async () => {
  const stored = await blobHashes(t);
  await t.setSettings(true, false);
  let deletes = 0;
  interceptor.intercept(t.services.photoBlobs, 'delete', (original) => async (userId) => {
    if (++deletes === 5)
      throw Object.assign(new Error('Simulated: blob service unreachable'), { statusCode: 503 });
    return original(userId);
  });

  const run = await purgeToTheEnd();

  expect(deletes).toBeGreaterThan(stored.size);
  expect(run).toMatchObject({ status: 'completed', users: stored.size });
  expect(run.photos.removed).toBe(stored.size);
  expectCountsAddUp(run);
  expect((await blobHashes(t)).size).toBe(0);
});

test('planning interrupted by a storage fault: the request is delivered again and the same purge finishes', async () => {
  const stored = await blobHashes(t);
  await t.setSettings(true, false);
  let sends = 0;
  interceptor.intercept(t.services.photoJobs, 'send', (original) => async (job) => {
    if (++sends === 2)
      throw Object.assign(new Error('Simulated: queue service unreachable'), { statusCode: 503 });
    return original(job);
  });

  const run = await purgeToTheEnd();

  expect(run).toMatchObject({ status: 'completed', trigger: 'purge', users: stored.size });
  expect(run.photos.removed).toBe(stored.size);
  expectCountsAddUp(run);
  expect((await blobHashes(t)).size).toBe(0);
});

test('blobs no record names (a photo whose record write never came, a sized copy left behind) are purged too, and no record is made for them', async () => {
  const stored = await blobHashes(t);
  const [someone] = stored.keys();
  const photo = await t.services.photoBlobs.read(someone);
  if (photo === undefined) throw new Error('no stored photo to copy');
  const verified = { ...photo, contentType: photo.contentType as ImageContentType };
  // Ids around the tenant's, so that they fall before, between and after its users in key order.
  const orphanPhoto = '00000000-0000-4000-8000-000000000001';
  const orphanSized = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
  await t.services.photoBlobs.write(orphanPhoto, verified);
  await t.services.photoBlobs.writeSized(orphanPhoto, photo.sha256, 96, photo.bytes);
  await t.services.photoBlobs.writeSized(orphanSized, photo.sha256, 48, photo.bytes);
  await t.services.photoBlobs.writeSized(someone, photo.sha256, 64, photo.bytes);
  await t.setSettings(true, false);

  const run = await purgeToTheEnd();

  expect(run).toMatchObject({ status: 'completed', trigger: 'purge', users: stored.size + 2 });
  expect(run.photos).toMatchObject({ removed: stored.size + 2, noPhoto: 0, failed: 0 });
  expectCountsAddUp(run);
  const left: string[] = [];
  for await (const blob of t.services.storage.photoContainer.listBlobsFlat()) left.push(blob.name);
  expect(left).toEqual([]);
  expect(await t.services.identities.get(orphanPhoto)).toBeUndefined();
  expect(await t.services.identities.get(orphanSized)).toBeUndefined();
});
