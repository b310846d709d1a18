import { TestEnvironment } from '../helpers/TestEnvironment';
import {
  expectCountsAddUp,
  expectHealedByCleanRun,
  expectNothingLost,
  sha256,
  storedStates,
  usersWithPhoto,
  usersWithoutPhoto,
} from '../helpers/Invariants';
import { userPhotoHandler } from '../../src/functions/userPhoto';
import type { IdentityStore } from '../../src/storage/IdentityStore';
import type { PhotoBlobStore } from '../../src/storage/PhotoBlobStore';
import type { RunStore } from '../../src/storage/RunStore';
import { MethodInterceptor } from '../helpers/MethodInterceptor';

/**
 * Storage fails under the photo worker: Azurite stops in the middle of a run and comes back, and a
 * write fails between the blob upload and the record update. The worker throws, the queue delivers
 * the job again, the repeat is idempotent (each user counted once), and nothing stored is lost.
 */

let t: TestEnvironment;
const interceptor = new MethodInterceptor();

beforeAll(async () => {
  // On disk, so a stopped and restarted Azurite still has everything.
  t = await TestEnvironment.start({ userCount: 30, azurite: { inMemory: false } });
  await t.setSettings(true, true);
  await expectHealedByCleanRun(t);
});

afterEach(() => {
  interceptor.restoreAll();
});

afterAll(async () => {
  await t.stop();
});

function redeliveries(): string[] {
  return t
    .logEvents('queueHost')
    .map((entry) => String(entry.reason))
    .filter((reason) => /failed \(delivery \d+ of \d+\)/.test(reason));
}

test('a record write fails after the blob was written: the job is delivered again, each user counted once, the record catches up', async () => {
  const withPhoto = usersWithPhoto(t);
  const changed = withPhoto.slice(0, 4);
  const removed = withPhoto[4];
  const added = usersWithoutPhoto(t)[0];
  for (const userId of changed) t.tenant.changePhoto(userId);
  t.tenant.removePhoto(removed);
  t.tenant.addPhoto(added);
  const before = await storedStates(t);
  const redeliveredBefore = redeliveries().length;

  // What the store looked like at the moment the record write failed.
  let atFailure: Map<string, { blob?: string; record?: string }> | undefined;
  interceptor.intercept(t.services.identities, 'writePhotoFields', (original) => async (updates) => {
    if (
      atFailure === undefined &&
      updates.some(({ fields }) => fields.lastResult !== 'unchanged' && fields.lastResult !== 'noPhoto')
    ) {
      atFailure = new Map();
      for (const { userId } of updates) {
        const blob = await t.services.photoBlobs.read(userId);
        atFailure.set(userId, {
          blob: blob === undefined ? undefined : sha256(blob.bytes),
          record: (await t.services.identities.get(userId))?.photoSha256 || undefined,
        });
      }
      throw Object.assign(new Error('Simulated: the table service went away mid-request'), {
        statusCode: 503,
      });
    }
    return original(updates);
  });

  const run = await t.runSync();

  expect(atFailure).toBeDefined();
  // Blob first, then record: at the failure the blob already held the new bytes (or was deleted),
  // while the record still named the old ones.
  for (const [userId, state] of atFailure!) {
    const current = t.tenant.photoOf(userId);
    if (changed.includes(userId) || userId === added)
      expect([userId, state.blob]).toEqual([userId, sha256(current!.bytes)]);
    if (userId === removed) expect([userId, state.blob]).toEqual([userId, undefined]);
    expect([userId, state.record]).toEqual([userId, before.get(userId)!.recordSha]);
  }
  expect(redeliveries().length).toBeGreaterThan(redeliveredBefore);
  expect(redeliveries().at(-1)).toMatch(/Simulated: the table service went away/);
  expectCountsAddUp(run);
  expect(run).toMatchObject({ status: 'completed', users: t.tenant.count, jobs: { poisoned: 0 } });
  expect(run.photos).toMatchObject({ updated: changed.length, removed: 1, added: 1, failed: 0 });
  await expectNothingLost(t, before, { run });
  // The photo API serves what the blob holds, with the blob's own hash: never the bytes of one photo under another's ETag.
  const served = await t.http(userPhotoHandler, {
    method: 'GET',
    path: `users/${changed[0]}/photo`,
    params: { userId: changed[0] },
  });
  expect((served.headers as Record<string, string>).ETag).toBe(
    `"${sha256(t.tenant.photoOf(changed[0])!.bytes)}"`,
  );
  await expectHealedByCleanRun(t);
});

test('the job fails after its records were written, before it was counted: the repeat still counts the changes it made, and logs them', async () => {
  const withPhoto = usersWithPhoto(t);
  const changed = withPhoto.slice(8, 10);
  const removed = withPhoto[10];
  for (const userId of changed) t.tenant.changePhoto(userId);
  t.tenant.removePhoto(removed);
  const before = await storedStates(t);
  const redeliveredBefore = redeliveries().length;
  let failures = 0;
  interceptor.intercept(
    t.services.runs,
    'recordJobDone',
    (original: RunStore['recordJobDone']) => async (runId, jobId, counts, options) => {
      if (failures === 0 && counts.updated + counts.removed > 0) {
        failures++;
        throw Object.assign(new Error('Simulated: the run table went away before the job was counted'), {
          statusCode: 503,
        });
      }
      return original(runId, jobId, counts, options);
    },
  );

  const run = await t.runSync();

  expect(failures).toBe(1);
  expect(redeliveries().length).toBeGreaterThan(redeliveredBefore);
  expectCountsAddUp(run);
  // The repeat found its own earlier writes: they are this run's changes, not "unchanged".
  expect(run.photos).toMatchObject({ updated: changed.length, removed: 1, failed: 0 });
  for (const userId of changed) {
    expect((await t.services.identities.get(userId))?.lastResult).toBe('updated');
    expect((await t.services.events.recent(userId))[0]).toMatchObject({
      runId: run.runId,
      result: 'updated',
    });
  }
  expect((await t.services.events.recent(removed))[0]).toMatchObject({ runId: run.runId, result: 'removed' });
  await expectNothingLost(t, before, { run });
  await expectHealedByCleanRun(t);
});

test('Azurite stops in the middle of a run and starts again: the interrupted jobs are delivered again and the run completes with nothing lost', async () => {
  const withPhoto = usersWithPhoto(t);
  const changed = withPhoto[6];
  t.tenant.changePhoto(changed);
  t.tenant.removePhoto(withPhoto[7]);
  const before = await storedStates(t);
  const redeliveredBefore = redeliveries().length;
  const runId = await t.planOnly();

  let stopped = false;
  let restarted: Promise<void> | undefined;
  // Right after the first blob write of the run, storage goes away...
  interceptor.intercept(
    t.services.photoBlobs,
    'write',
    (original: PhotoBlobStore['write']) => async (userId, photo) => {
      await original(userId, photo);
      if (!stopped) {
        stopped = true;
        await t.azurite.stop();
      }
    },
  );
  // ...and comes back once a worker has given up on it, so the job fails and the queue retries it.
  interceptor.intercept(
    t.services.identities,
    'writePhotoFields',
    (original: IdentityStore['writePhotoFields']) => async (updates) => {
      try {
        return await original(updates);
      } catch (error) {
        if (stopped && restarted === undefined) restarted = t.azurite.restart();
        await restarted;
        throw error;
      }
    },
  );

  await t.drainQueues();
  await restarted;

  expect(stopped).toBe(true);
  expect(restarted).toBeDefined();
  expect(redeliveries().length).toBeGreaterThan(redeliveredBefore);
  const run = (await t.services.runs.get(runId))!;
  expectCountsAddUp(run);
  expect(run).toMatchObject({ status: 'completed', users: t.tenant.count, jobs: { poisoned: 0 } });
  expect(run.photos).toMatchObject({ updated: 1, removed: 1, failed: 0 });
  await expectNothingLost(t, before, { run });
  await expectHealedByCleanRun(t);
}, 60_000);
