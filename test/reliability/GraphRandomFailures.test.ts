import { TestEnvironment } from '../helpers/TestEnvironment';
import { OutboundRequests } from '../helpers/OutboundRequests';
import {
  expectCountsAddUp,
  expectHealedByCleanRun,
  expectNothingLost,
  storedStates,
  usersWithPhoto,
  usersWithoutPhoto,
} from '../helpers/Invariants';

/**
 * A random 20% of photo requests fail with 429 (Retry-After), 500, 502, 503 or 504 — metadata
 * items inside `$batch` and direct `$value` downloads alike. Runs still finish, every user is
 * counted once, retries never come before Retry-After, failures keep what was stored, and one
 * clean run later the store equals the tenant.
 */

let t: TestEnvironment;
const requests = new OutboundRequests();

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 30 });
  await t.setSettings(true, true);
  requests.start();
});

afterAll(async () => {
  requests.stop();
  await t.stop();
});

/** How often each `$value` path was requested directly in the requests seen so far. */
function directDownloadsPerUser(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const request of requests.requests) {
    const match = /\/users\/([^/?]+)\/photo\/\$value/.exec(request.path);
    if (match !== null && request.hostPort.startsWith('localhost:'))
      counts.set(match[1], (counts.get(match[1]) ?? 0) + 1);
  }
  return counts;
}

test('20% random failures, from an empty store and after photos changed: runs finish, counts add up, nothing is lost, a clean run heals', async () => {
  let failed = 0;
  let batchItemsRetried = 0;
  let downloadsRetried = 0;
  // Two runs under faults: the first stores photos for the first time, the second meets changed,
  // removed, re-uploaded and new photos over stored ones.
  for (const [round, seed] of [
    [1, 11],
    [2, 23],
  ] as const) {
    if (round === 2) {
      t.tenant.mutate({ changed: 0.5, reuploadShare: 0.3, seed: 5 });
      const [removeA, removeB] = usersWithPhoto(t).slice(-2);
      t.tenant.removePhoto(removeA);
      t.tenant.removePhoto(removeB);
      t.tenant.addPhoto(usersWithoutPhoto(t).find((id) => id !== removeA && id !== removeB)!);
    }
    const before = await storedStates(t);
    t.sim.resetCounters();
    requests.clear();
    t.sim.faults.randomFailureRate = 0.2;
    t.sim.faults.randomFailureSeed = seed;
    const run = await t.runSync();
    t.sim.faults.randomFailureRate = 0;

    expectCountsAddUp(run);
    expect(run).toMatchObject({ status: 'completed', users: t.tenant.count, jobs: { poisoned: 0 } });
    // Retry-After (and the backoff without one) is honoured, in $batch and on direct downloads.
    expect(t.sim.counters.earlyRequests).toBe(0);
    await expectNothingLost(t, before, { run });
    failed += run.photos.failed;
    batchItemsRetried += t.sim.counters.batchItems - t.tenant.count;
    downloadsRetried += [...directDownloadsPerUser().values()].filter((count) => count > 1).length;
    // Every failure is recorded on its user with a code, never as "no photo".
    for (const [userId, state] of await storedStates(t)) {
      if (state.lastRunId === run.runId && state.lastResult === 'failed')
        expect([userId, state.lastErrorCode]).toEqual([
          userId,
          expect.stringMatching(/^(graphError|throttled|timeout)$/),
        ]);
    }
  }
  // The faults did hit both paths: throttled items inside $batch and direct downloads were retried,
  // and failures that are not retried (500, 502) failed their users.
  expect(batchItemsRetried).toBeGreaterThan(0);
  expect(downloadsRetried).toBeGreaterThan(0);
  expect(failed).toBeGreaterThan(0);

  await expectHealedByCleanRun(t);
}, 120_000);
