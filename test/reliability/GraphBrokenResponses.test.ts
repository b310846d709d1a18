import { TestEnvironment } from '../helpers/TestEnvironment';
import {
  expectCountsAddUp,
  expectHealedByCleanRun,
  expectNothingLost,
  storedStates,
  usersWithPhoto,
  usersWithoutPhoto,
  type StoredPhotoState,
} from '../helpers/Invariants';
import type { Run } from '../../src/domain/Run';

/**
 * Graph answers that break off or never come, and photo data that is not a photo. Each fault
 * stays with its user (`failed` with its own code, the stored photo kept), the other users are
 * checked as usual, and a clean run afterwards heals everything.
 */

const TIMEOUT_MS = 5_000;
let t: TestEnvironment;

beforeAll(async () => {
  // Short Graph timeouts, so a stall "past the timeout" does not slow the suite; long enough that
  // a loaded machine does not time out healthy requests.
  t = await TestEnvironment.start({
    userCount: 24,
    graph: { timeoutMs: TIMEOUT_MS, maxAttempts: 4, maxRetryWaitMs: 2_000 },
  });
  await t.setSettings(true, true);
  await expectHealedByCleanRun(t);
});

afterEach(() => {
  t.sim.resetFaults();
});

afterAll(async () => {
  await t.stop();
});

async function stateOf(userId: string): Promise<StoredPhotoState> {
  return (await storedStates(t)).get(userId)!;
}

/** Runs a sync under the faults set up, and checks what every fault test checks. */
async function runWithFaults(): Promise<{ run: Run; before: Map<string, StoredPhotoState> }> {
  const before = await storedStates(t);
  t.sim.resetCounters();
  const run = await t.runSync();
  expectCountsAddUp(run);
  expect(run).toMatchObject({ status: 'completed', users: t.tenant.count });
  expect(t.sim.counters.earlyRequests).toBe(0);
  await expectNothingLost(t, before, { run });
  return { run, before };
}

describe('broken answers', () => {
  test('a connection reset on a download → failed/networkError, photo kept; a changed photo beside it is updated', async () => {
    const [victimA, victimB, bystander] = usersWithPhoto(t).slice(0, 3);
    for (const userId of [victimA, victimB, bystander]) t.tenant.changePhoto(userId);
    t.sim.faults.resetConnectionFor = new Set([victimA, victimB]);
    const { run, before } = await runWithFaults();
    expect(run.photos).toMatchObject({ failed: 2, updated: 1 });
    for (const userId of [victimA, victimB]) {
      const state = await stateOf(userId);
      expect(state).toMatchObject({
        lastResult: 'failed',
        lastErrorCode: 'networkError',
        blobSha: before.get(userId)!.blobSha,
        recordSha: before.get(userId)!.recordSha,
      });
    }
    expect((await stateOf(bystander)).lastResult).toBe('updated');
    await expectHealedByCleanRun(t);
  });

  test('a body cut off halfway (full Content-Length, half the bytes) → failed/truncatedPhoto, nothing half-written', async () => {
    const [stored, fresh] = [usersWithPhoto(t)[3], usersWithoutPhoto(t)[0]];
    t.tenant.changePhoto(stored);
    t.tenant.addPhoto(fresh);
    t.sim.faults.truncateBodyFor = new Set([stored, fresh]);
    const { run, before } = await runWithFaults();
    expect(run.photos.failed).toBe(2);
    expect(await stateOf(stored)).toMatchObject({
      lastResult: 'failed',
      lastErrorCode: 'truncatedPhoto',
      blobSha: before.get(stored)!.blobSha,
    });
    expect(await stateOf(fresh)).toMatchObject({
      lastResult: 'failed',
      lastErrorCode: 'truncatedPhoto',
      blobSha: undefined,
      recordSha: undefined,
    });
    await expectHealedByCleanRun(t);
  });

  test('one user whose photo requests stall past the timeout fails with timeout; the other users of the same $batch are checked as usual', async () => {
    const withPhoto = usersWithPhoto(t);
    const staller = withPhoto[4];
    const changed = withPhoto.slice(5, 8);
    t.tenant.changePhoto(staller);
    for (const userId of changed) t.tenant.changePhoto(userId);
    t.sim.faults.stallMs = 2.4 * TIMEOUT_MS;
    t.sim.faults.stallFor = new Set([staller]);
    const { run } = await runWithFaults();
    expect(await stateOf(staller)).toMatchObject({ lastResult: 'failed', lastErrorCode: 'timeout' });
    expect(run.photos).toMatchObject({ failed: 1, updated: changed.length });
    for (const userId of changed) expect((await stateOf(userId)).lastResult).toBe('updated');
    await expectHealedByCleanRun(t);
  });

  test('all of Graph stalls: the run still ends, every user failed/timeout, every stored photo kept', async () => {
    t.tenant.changePhoto(usersWithPhoto(t)[8]);
    t.tenant.removePhoto(usersWithPhoto(t)[9]);
    t.sim.faults.stallMs = 2.4 * TIMEOUT_MS;
    t.sim.faults.stallFor = 'all';
    const { run } = await runWithFaults();
    expect(run.photos.failed).toBe(t.tenant.count);
    for (const state of (await storedStates(t)).values()) expect(state.lastErrorCode).toBe('timeout');
    await expectHealedByCleanRun(t);
  }, 90_000);
});

describe('photo data that is not a photo', () => {
  test('not an image, a declared type that disagrees with the bytes, empty, over 4 MiB → failed with a clear code; stored photos kept', async () => {
    const withPhoto = usersWithPhoto(t);
    // Odd tenant indexes have PNG photos: their bytes, declared as JPEG, disagree with the declaration.
    const pngBytes = t.tenant.photoOf(
      withPhoto.find((id) => t.tenant.photoOf(id)!.contentType === 'image/png')!,
    )!.bytes;
    const html = Buffer.from('<html><script>alert(1)</script></html>');
    const oversize = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.alloc(4 * 1024 * 1024 - 3, 1),
    ]);
    const cases: Array<[string, Buffer, string, string, RegExp]> = [
      [withPhoto[10], html, 'image/jpeg', 'notAnImage', /not a JPEG, PNG or GIF/],
      [
        withPhoto[11],
        pngBytes,
        'image/jpeg',
        'contentTypeMismatch',
        /declared image\/jpeg but the bytes are image\/png/,
      ],
      [withPhoto[12], Buffer.alloc(0), 'image/jpeg', 'emptyPhoto', /empty/],
      [withPhoto[13], oversize, 'image/jpeg', 'photoTooLarge', /4194305 bytes; at most 4194304/],
      // A user with nothing stored yet gets nothing stored from bad data either.
      [usersWithoutPhoto(t)[1], html, 'image/png', 'notAnImage', /not a JPEG, PNG or GIF/],
    ];
    for (const [userId, bytes, contentType] of cases) t.tenant.setPhoto(userId, bytes, contentType);
    const { run, before } = await runWithFaults();
    expect(run.photos.failed).toBe(cases.length);
    for (const [userId, , , code, message] of cases) {
      const state = await stateOf(userId);
      expect([userId, state.lastResult, state.lastErrorCode]).toEqual([userId, 'failed', code]);
      expect(state.blobSha).toBe(before.get(userId)!.blobSha);
      const record = await t.services.identities.get(userId);
      expect(record?.lastErrorMessage).toMatch(message);
      const log = await t.services.events.recent(userId);
      expect(log[0]).toMatchObject({ runId: run.runId, result: 'failed', error: { code } });
    }
    // Real photos again, and all is well.
    for (const [userId] of cases) t.tenant.changePhoto(userId);
    await expectHealedByCleanRun(t);
  });
});
