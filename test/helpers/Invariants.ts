import type { Run } from '../../src/domain/Run';
import {
  consistencyProblems,
  countProblems,
  nothingLostProblems,
  type NothingLostOptions,
  type StoredPhotoState,
} from '../../dev/check/StoreInvariants';
import type { TestEnvironment } from './TestEnvironment';

/**
 * The checks every reliability test ends with, as Jest expectations. The checks themselves live in
 * dev/check/StoreInvariants.ts, which `npm run chaos` runs too; they are re-exported here so a test
 * imports all of them from one place.
 */
export {
  blobHashes,
  consistencyProblems,
  countProblems,
  currentPhotoSha,
  nothingLostProblems,
  sha256,
  storedStates,
  tenantUserIds,
  usersWithoutPhoto,
  usersWithPhoto,
  type NothingLostOptions,
  type StoredPhotoState,
} from '../../dev/check/StoreInvariants';

export function expectCountsAddUp(run: Run): void {
  expect(countProblems(run)).toEqual([]);
}

export async function expectNothingLost(
  t: TestEnvironment,
  before: Map<string, StoredPhotoState>,
  options: NothingLostOptions = {},
): Promise<void> {
  expect(await nothingLostProblems(t, before, options)).toEqual([]);
}

/**
 * Clears every simulator fault, runs one clean sync and checks it: the run completed with one
 * outcome per user and no failure, nothing was requested before its Retry-After, and the store
 * equals the tenant. Returns the clean run.
 */
export async function expectHealedByCleanRun(t: TestEnvironment): Promise<Run> {
  t.sim.resetFaults();
  t.sim.resetCounters();
  const settings = await t.services.settings.read();
  if (!settings.userPhotos || !settings.syncUserPhotos)
    throw new Error('expectHealedByCleanRun needs photo sync on');
  const run = await t.runSync();
  expect(countProblems(run)).toEqual([]);
  expect(run).toMatchObject({
    status: 'completed',
    photoSyncActive: true,
    users: t.tenant.count,
    jobs: { poisoned: 0 },
  });
  expect(run.photos.failed).toBe(0);
  expect(t.sim.counters.earlyRequests).toBe(0);
  expect(await consistencyProblems(t)).toEqual([]);
  return run;
}
