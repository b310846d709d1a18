import { TestEnvironment } from '../helpers/TestEnvironment';
import {
  expectCountsAddUp,
  expectHealedByCleanRun,
  expectNothingLost,
  storedStates,
  tenantUserIds,
  usersWithPhoto,
} from '../helpers/Invariants';

/**
 * Listing the tenant breaks off midway, and the Graph credential fails. The run says so (status
 * `failed`, the reason in its error and in an error-level log line), users that were not listed
 * are left exactly as they were, and nothing is deleted.
 */

const PAGE_SIZE = 10;
let t: TestEnvironment;
/** While set, the token call fails with this message, as a credential would (no network involved). */
let tokenFailure: string | undefined;

beforeAll(async () => {
  t = await TestEnvironment.start({
    userCount: 35,
    graphPageSize: PAGE_SIZE,
    graphAuthProvider: {
      getAccessToken: async () => {
        if (tokenFailure !== undefined) throw new Error(tokenFailure);
        return t.sim.token;
      },
    },
  });
  await t.setSettings(true, true);
  await expectHealedByCleanRun(t);
  // Four pages of users: the listing really follows @odata.nextLink.
  expect(t.sim.counters.listPages).toBe(Math.ceil(35 / PAGE_SIZE));
});

afterEach(() => {
  tokenFailure = undefined;
  t.sim.resetFaults();
});

afterAll(async () => {
  await t.stop();
});

/** Blob ETags: a blob rewritten with the same bytes still gets a new ETag. */
async function blobEtags(): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for await (const blob of t.services.storage.photoContainer.listBlobsFlat())
    etags.set(blob.name, String(blob.properties.etag));
  return etags;
}

async function records(): Promise<Map<string, Record<string, unknown>>> {
  const all = new Map<string, Record<string, unknown>>();
  for (const userId of tenantUserIds(t)) {
    const entity = await t.services.identities.get(userId);
    if (entity !== undefined) {
      const { timestamp: _timestamp, etag: _etag, ...fields } = entity as unknown as Record<string, unknown>;
      all.set(userId, fields);
    }
  }
  return all;
}

test('/users paging fails after two pages: the run fails with listUsersFailed, listed users are checked, the rest are left exactly as they were', async () => {
  const ids = tenantUserIds(t);
  const listed = ids.slice(0, 2 * PAGE_SIZE);
  const notListed = ids.slice(2 * PAGE_SIZE);
  // Photos change on both sides of the break; only the listed side may be touched.
  const withPhotoListed = listed.filter((id) => t.tenant.photoOf(id) !== null);
  const withPhotoNotListed = notListed.filter((id) => t.tenant.photoOf(id) !== null);
  t.tenant.changePhoto(withPhotoListed[0]);
  t.tenant.changePhoto(withPhotoNotListed[0]);
  t.tenant.removePhoto(withPhotoNotListed[1]);
  const before = await storedStates(t);
  const recordsBefore = await records();
  const blobsBefore = await blobEtags();

  // The stored delta link is refused, so the run lists every user: that full listing breaks off.
  t.sim.faults.deltaTokenExpired = true;
  t.sim.faults.listFailAfterPages = 2;
  const run = await t.runSync();

  expect(run).toMatchObject({ status: 'failed', users: listed.length, error: { code: 'listUsersFailed' } });
  expect(run.error?.message).toMatch(/Listing users in Microsoft Graph failed.*(500|InternalServerError)/);
  expectCountsAddUp(run);
  expect(run.photos.updated).toBe(1);
  const recordsAfter = await records();
  const blobsAfter = await blobEtags();
  for (const userId of notListed) {
    expect([userId, recordsAfter.get(userId)]).toEqual([userId, recordsBefore.get(userId)]);
    expect([userId, blobsAfter.get(userId)]).toEqual([userId, blobsBefore.get(userId)]);
  }
  // The photo Graph no longer has is still stored: a user not listed is never taken for "no photo".
  expect(blobsAfter.has(withPhotoNotListed[1])).toBe(true);
  // Checked by this run: a check that changed nothing is on its job's marker, not the record.
  const checks = await t.services.coverage.lastChecks(listed);
  for (const userId of listed)
    expect([userId, (checks.get(userId)?.checkedAt ?? '') >= run.startedAt]).toEqual([userId, true]);
  await expectNothingLost(t, before, { run });
  const failure = t.logEvents('runPlanningFailed').find((entry) => entry.runId === run.runId);
  expect(failure?.reason).toMatch(/Listing users in Microsoft Graph failed/);
  expect(t.logLine('error', 'runPlanningFailed', run.runId)).toBeDefined();
  expect(t.logEvents('runSummary').find((entry) => entry.runId === run.runId)).toMatchObject({
    status: 'failed',
  });

  const healed = await expectHealedByCleanRun(t);
  expect(healed.photos).toMatchObject({ updated: 1, removed: 1 });
});

test('the token call fails: the run fails loudly with the reason, no photo request is made, nothing is deleted or changed', async () => {
  t.tenant.removePhoto(usersWithPhoto(t)[2]);
  t.tenant.changePhoto(usersWithPhoto(t)[3]);
  const recordsBefore = await records();
  const blobsBefore = await blobEtags();
  t.sim.resetCounters();

  tokenFailure = 'AADSTS7000215: Invalid client secret provided.';
  const run = await t.runSync();

  expect(run).toMatchObject({ status: 'failed', users: 0, error: { code: 'listUsersFailed' } });
  expect(run.error?.message).toContain('AADSTS7000215: Invalid client secret provided.');
  expectCountsAddUp(run);
  expect(t.sim.counters.requests).toBe(0);
  // Core attributes are not rewritten either: every record is exactly as before.
  expect(await records()).toEqual(recordsBefore);
  expect(await blobEtags()).toEqual(blobsBefore);
  const failure = t.logLine('error', 'runPlanningFailed', run.runId);
  expect(failure?.message).toContain('AADSTS7000215');

  tokenFailure = undefined;
  await expectHealedByCleanRun(t);
});

test('Graph rejects the token (401 on every request): the run fails with listUsersFailed naming the problem; nothing is deleted', async () => {
  t.tenant.removePhoto(usersWithPhoto(t)[4]);
  const recordsBefore = await records();
  const blobsBefore = await blobEtags();
  t.sim.faults.tokenRejected = true;
  const run = await t.runSync();
  expect(run).toMatchObject({ status: 'failed', users: 0, error: { code: 'listUsersFailed' } });
  expect(run.error?.message).toMatch(/InvalidAuthenticationToken/);
  expect(await records()).toEqual(recordsBefore);
  expect(await blobEtags()).toEqual(blobsBefore);
  await expectHealedByCleanRun(t);
});

test('the token call starts failing after planning: every photo check fails with the reason, stored photos are kept, the run completes', async () => {
  t.tenant.changePhoto(usersWithPhoto(t)[5]);
  t.tenant.removePhoto(usersWithPhoto(t)[6]);
  const before = await storedStates(t);
  const runId = await t.planOnly();
  tokenFailure = 'AADSTS700024: Client assertion is not within its valid time range.';
  await t.drainQueues();
  const run = (await t.services.runs.get(runId))!;
  expect(run).toMatchObject({ status: 'completed', users: t.tenant.count });
  expect(run.photos.failed).toBe(t.tenant.count);
  expectCountsAddUp(run);
  await expectNothingLost(t, before, { run });
  const record = await t.services.identities.get(usersWithPhoto(t)[5]);
  expect(record).toMatchObject({ lastResult: 'failed', lastErrorCode: 'networkError' });
  expect(record?.lastErrorMessage).toContain('AADSTS700024');
  tokenFailure = undefined;
  await expectHealedByCleanRun(t);
});
