import { sha256 } from '../helpers/Invariants';
import { queuedPhotoJobs } from '../helpers/PhotoJobs';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { photoWorkerHandler } from '../../src/functions/photoWorker';
import type { UserEntity } from '../../src/storage/IdentityStore';

let t: TestEnvironment;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 45 });
});

afterAll(async () => {
  await t.stop();
});

function photoRequests(): number {
  const c = t.sim.counters;
  return c.batchItems + c.directMetadata + c.directValue;
}

async function blobSnapshot(): Promise<Map<string, string>> {
  const snapshot = new Map<string, string>();
  for await (const blob of t.services.storage.photoContainer.listBlobsFlat({ includeMetadata: true }))
    snapshot.set(blob.name, String(blob.properties.etag));
  return snapshot;
}

async function record(userId: string): Promise<UserEntity> {
  const entity = await t.services.identities.get(userId);
  if (entity === undefined) throw new Error(`no record for ${userId}`);
  return entity;
}

const users = (): Array<{ id: string; index: number }> =>
  t.tenant.users().map((user, index) => ({ id: user.id, index }));

describe('photo sync off: core attributes only, no photo request', () => {
  let listedOnce = false;
  test.each([
    [false, false],
    [true, false],
    [false, true],
  ])('userPhotos=%s syncUserPhotos=%s with nothing stored', async (userPhotos, syncUserPhotos) => {
    await t.setSettings(userPhotos, syncUserPhotos);
    t.sim.resetCounters();
    const listedBefore = listedOnce;
    const run = await t.runSync();
    listedOnce = true;
    expect(run.status).toBe('completed');
    expect(run.photoSyncActive).toBe(false);
    // The first run lists every user; a delta round after it names only who changed: nobody here.
    expect(run.users).toBe(listedBefore ? 0 : t.tenant.count);
    expect(run.photos).toEqual({ added: 0, updated: 0, unchanged: 0, removed: 0, noPhoto: 0, failed: 0 });
    expect(photoRequests()).toBe(0);
    expect(t.sim.counters.listPages).toBeGreaterThan(0);
    expect((await blobSnapshot()).size).toBe(0);
    const first = t.tenant.userAt(0);
    const stored = await record(first.id);
    expect(stored.displayName).toBe(first.displayName);
    expect(stored.userPrincipalName).toBe(first.userPrincipalName);
    expect(stored.photoSha256 ?? '').toBe('');
  });
});

describe('photo sync on', () => {
  test('first run adds every photo, byte for byte, and notes users without one', async () => {
    await t.setSettings(true, true);
    t.sim.resetCounters();
    const run = await t.runSync();
    const withPhoto = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    expect(withPhoto.length).toBeGreaterThan(0);
    expect(withPhoto.length).toBeLessThan(t.tenant.count);
    expect(run).toMatchObject({ status: 'completed', photoSyncActive: true, users: t.tenant.count });
    expect(run.photos).toEqual({
      added: withPhoto.length,
      updated: 0,
      unchanged: 0,
      removed: 0,
      noPhoto: t.tenant.count - withPhoto.length,
      failed: 0,
    });
    // Metadata travels in $batch requests of at most 20; only photos are downloaded directly.
    expect(t.sim.counters.directMetadata).toBe(0);
    expect(t.sim.counters.batchCalls).toBe(Math.ceil(t.tenant.count / 20));
    expect(t.sim.counters.directValue).toBe(withPhoto.length);
    for (const { id } of withPhoto) {
      const photo = t.tenant.photoOf(id)!;
      const blob = await t.services.photoBlobs.read(id);
      expect(blob?.bytes.equals(photo.bytes)).toBe(true);
      expect(blob?.contentType).toBe(photo.contentType);
      const stored = await record(id);
      expect(stored.photoSha256).toBe(sha256(photo.bytes));
      expect(stored.photoEtag).toBe(photo.etag);
      expect(stored.lastResult).toBe('added');
    }
    const without = users().find(({ id }) => t.tenant.photoOf(id) === null)!;
    expect((await record(without.id)).lastResult).toBe('noPhoto');
  });

  test('a second run with nothing changed downloads nothing and writes no blob', async () => {
    const before = await blobSnapshot();
    t.sim.resetCounters();
    const run = await t.runSync();
    expect(run.photos.unchanged).toBe(before.size);
    expect(run.photos.added + run.photos.updated + run.photos.removed + run.photos.failed).toBe(0);
    expect(t.sim.counters.directValue).toBe(0);
    expect(await blobSnapshot()).toEqual(before);
  });

  test('a re-upload of identical bytes (new ETag) is unchanged: downloaded once, no blob write, new ETag kept', async () => {
    const [target] = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    t.tenant.reuploadPhoto(target.id);
    const before = await blobSnapshot();
    t.sim.resetCounters();
    const run = await t.runSync();
    expect(run.photos.unchanged).toBe(before.size);
    expect(t.sim.counters.directValue).toBe(1);
    expect(await blobSnapshot()).toEqual(before);
    expect((await record(target.id)).photoEtag).toBe(t.tenant.photoOf(target.id)!.etag);
  });

  test('changed photos are updated and removed ones removed; nothing else is touched', async () => {
    const withPhoto = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    const changed = withPhoto[1];
    const removed = withPhoto[2];
    t.tenant.changePhoto(changed.id);
    t.tenant.removePhoto(removed.id);
    const before = await blobSnapshot();
    t.sim.resetCounters();
    const run = await t.runSync();
    expect(run.photos).toMatchObject({
      updated: 1,
      removed: 1,
      added: 0,
      failed: 0,
      unchanged: withPhoto.length - 2,
    });
    const after = await blobSnapshot();
    expect(after.has(removed.id)).toBe(false);
    expect(after.get(changed.id)).not.toBe(before.get(changed.id));
    for (const [name, etag] of after) if (name !== changed.id) expect(etag).toBe(before.get(name));
    expect(
      (await t.services.photoBlobs.read(changed.id))?.bytes.equals(t.tenant.photoOf(changed.id)!.bytes),
    ).toBe(true);
    const removedRecord = await record(removed.id);
    expect(removedRecord.lastResult).toBe('removed');
    expect(removedRecord.photoSha256).toBe('');
    expect(t.sim.counters.directValue).toBe(1);
    const log = await t.services.events.recent(removed.id);
    expect(log[0]).toMatchObject({ result: 'removed', runId: run.runId });
  });

  test.each([
    [false, false],
    [true, false],
    [false, true],
  ])(
    'turned off again (userPhotos=%s syncUserPhotos=%s): stored photos stay exactly as they are',
    async (userPhotos, syncUserPhotos) => {
      const [victim] = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
      t.tenant.changePhoto(victim.id);
      const blobsBefore = await blobSnapshot();
      const recordBefore = await record(victim.id);
      const renamed = `${recordBefore.displayName} (${userPhotos}, ${syncUserPhotos})`;
      t.tenant.rename(victim.id, renamed);
      await t.setSettings(userPhotos, syncUserPhotos);
      t.sim.resetCounters();
      const run = await t.runSync();
      expect(run.photoSyncActive).toBe(false);
      expect(photoRequests()).toBe(0);
      expect(await blobSnapshot()).toEqual(blobsBefore);
      const recordAfter = await record(victim.id);
      expect(recordAfter.photoSha256).toBe(recordBefore.photoSha256);
      expect(recordAfter.lastResult).toBe(recordBefore.lastResult);
      // Core attributes still sync while photo sync is off.
      expect(recordAfter.displayName).toBe(renamed);
      expect(recordAfter.coreSyncedAt).not.toBe(recordBefore.coreSyncedAt);
      await t.setSettings(true, true);
      const catchUp = await t.runSync();
      expect(catchUp.photos.updated).toBe(1);
    },
  );
});

describe('turned off while a run is under way', () => {
  test('photo jobs already on the queue make no photo request and write nothing; the run completes', async () => {
    await t.setSettings(true, true);
    await t.runSync();
    const [user] = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    t.tenant.changePhoto(user.id);
    const runId = await t.planOnly();
    await t.setSettings(true, false);
    const blobsBefore = await blobSnapshot();
    t.sim.resetCounters();
    await t.drainQueues();
    expect(photoRequests()).toBe(0);
    expect(await blobSnapshot()).toEqual(blobsBefore);
    const run = await t.services.runs.get(runId);
    expect(run).toMatchObject({
      status: 'completed',
      photoSyncActive: true,
      photos: { added: 0, updated: 0, unchanged: 0, removed: 0, noPhoto: 0, failed: 0 },
    });
    expect(t.logEvents('photoJobSkipped').some((entry) => entry.runId === runId)).toBe(true);
    await t.setSettings(true, true);
  });
});

describe('failures stay with their user', () => {
  beforeAll(async () => {
    await t.setSettings(true, true);
    await t.runSync();
  });

  afterEach(() => {
    t.sim.faults.permissionDenied = false;
    t.sim.faults.errorFor.clear();
    t.sim.faults.throttle.clear();
  });

  test('403 → failed/permissionDenied with the fix in the message; the stored photo is kept', async () => {
    const [user] = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    const blobBefore = (await blobSnapshot()).get(user.id);
    t.tenant.changePhoto(user.id);
    t.sim.faults.permissionDenied = new Set([user.id]);
    const run = await t.runSync();
    expect(run.photos.failed).toBe(1);
    const stored = await record(user.id);
    expect(stored.lastResult).toBe('failed');
    expect(stored.lastErrorCode).toBe('permissionDenied');
    expect(stored.lastErrorMessage).toMatch(/ProfilePhoto\.Read\.All/);
    expect(stored.lastErrorMessage).toMatch(/admin consent/);
    expect(stored.photoSha256).not.toBe('');
    expect((await blobSnapshot()).get(user.id)).toBe(blobBefore);
    const warning = t
      .logEvents('permissionProblem')
      .find((entry) => entry.userId === user.id && entry.runId === run.runId);
    expect(warning?.reason).toMatch(/admin consent/);
    expect(t.logLine('warning', 'permissionProblem', user.id)).toBeDefined();
  });

  test('a 500 for one user fails only that user; the others are checked as usual', async () => {
    const withPhoto = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    const [broken, changed] = withPhoto.slice(3);
    t.tenant.changePhoto(broken.id);
    t.tenant.changePhoto(changed.id);
    const brokenBefore = await record(broken.id);
    t.sim.faults.errorFor.set(broken.id, { status: 500, code: 'InternalServerError' });
    const run = await t.runSync();
    expect(run.photos.failed).toBe(1);
    expect(run.photos.updated).toBeGreaterThanOrEqual(1);
    expect((await record(broken.id)).photoSha256).toBe(brokenBefore.photoSha256);
    expect((await record(broken.id)).lastErrorCode).toBe('graphError');
    expect((await record(changed.id)).lastResult).toBe('updated');
  });

  test('throttling inside $batch and on downloads is retried, never before Retry-After', async () => {
    const withPhoto = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    const [a, b] = withPhoto.slice(5);
    t.tenant.changePhoto(b.id);
    t.sim.faults.throttle.set(a.id, 2);
    t.sim.faults.throttle.set(b.id, 3);
    t.sim.resetCounters();
    const run = await t.runSync();
    expect(t.sim.counters.throttled).toBeGreaterThanOrEqual(5);
    expect(t.sim.counters.earlyRequests).toBe(0);
    expect(run.photos.failed).toBe(0);
    expect((await record(b.id)).lastResult).toBe('updated');
  });

  test('throttling that outlasts the retries → failed/throttled, photo kept', async () => {
    const [user] = users()
      .filter(({ id }) => t.tenant.photoOf(id) !== null)
      .slice(8);
    const before = await record(user.id);
    t.sim.faults.throttle.set(user.id, 100);
    const run = await t.runSync();
    expect(run.photos.failed).toBe(1);
    const stored = await record(user.id);
    expect(stored.lastErrorCode).toBe('throttled');
    expect(stored.photoSha256).toBe(before.photoSha256);
    expect(t.sim.counters.earlyRequests).toBe(0);
  }, 60_000);
});

describe('queue delivery', () => {
  test('the same photo job delivered twice is counted once and changes nothing twice', async () => {
    await t.setSettings(true, true);
    await t.runSync();
    const [user] = users().filter(({ id }) => t.tenant.photoOf(id) !== null);
    t.tenant.changePhoto(user.id);
    const runId = await t.planOnly();
    const job = (await queuedPhotoJobs(t)).find((queued) => queued.userIds.includes(user.id));
    if (job === undefined) throw new Error(`no queued job holds ${user.id}`);
    await photoWorkerHandler(job, t.context('photoWorker'));
    await photoWorkerHandler(job, t.context('photoWorker'));
    // The queued message itself is a third delivery of the same job.
    await t.drainQueues();
    const after = await t.services.runs.get(runId);
    expect(after).toMatchObject({ status: 'completed', photos: { updated: 1 } });
    expect(after?.jobs.done).toBe(after?.jobs.total);
    expect((await t.services.photoBlobs.read(user.id))?.bytes.equals(t.tenant.photoOf(user.id)!.bytes)).toBe(
      true,
    );
    expect(
      t.logEvents('photoJobRepeated').filter((entry) => entry.runId === runId && entry.jobId === job.jobId),
    ).toHaveLength(2);
  });

  test('a job delivered again decides from the records, not from the state it was planned with', async () => {
    await t.setSettings(true, true);
    await t.runSync();
    const [user] = users()
      .filter(({ id }) => t.tenant.photoOf(id) !== null)
      .slice(5);
    const runId = await t.planOnly();
    const job = (await queuedPhotoJobs(t)).find((queued) => queued.userIds.includes(user.id));
    if (job === undefined) throw new Error(`no queued job holds ${user.id}`);
    // Planned while the record said the photo was stored, as the first delivery found it.
    expect(job.stored?.[user.id]?.lastResult).toBe((await record(user.id)).lastResult);
    t.sim.faults.permissionDenied = new Set([user.id]);
    await photoWorkerHandler(job, t.context('photoWorker', { dequeueCount: 1 }));
    expect((await record(user.id)).lastResult).toBe('failed');
    t.sim.resetFaults();

    await photoWorkerHandler(job, t.context('photoWorker', { dequeueCount: 2 }));

    // From the planned state the check would have been quiet, and the failure would have stood.
    expect(await record(user.id)).toMatchObject({
      lastResult: 'unchanged',
      lastErrorCode: '',
      lastRunId: runId,
    });
    await t.drainQueues();
  });

  test.each([
    ['not JSON', '{nope'],
    ['wrong shape', { runId: '20261126T200412Z-abcdef', userIds: 'x' }],
    [
      'too many ids',
      {
        runId: '20261126T200412Z-abcdef',
        jobId: '1',
        userIds: Array.from(
          { length: 21 },
          (_, i) => `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
        ),
      },
    ],
    ['path traversal', { runId: '20261126T200412Z-abcdef', jobId: '1', userIds: ['../../etc/passwd'] }],
    [
      'OData injection',
      { runId: '20261126T200412Z-abcdef', jobId: '1', userIds: ["x' or PartitionKey ne '"] },
    ],
  ])(
    'a message that is not a photo job (%s) is refused whole, with no Graph request',
    async (_name, message) => {
      t.sim.resetCounters();
      await expect(photoWorkerHandler(message, t.context('photoWorker'))).resolves.toBeUndefined();
      expect(t.sim.counters.requests).toBe(0);
      expect(t.logEvents('messageRefused').length).toBeGreaterThan(0);
    },
  );
});
