import { odata } from '@azure/data-tables';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { photoWorkerHandler } from '../../src/functions/photoWorker';
import { emptyCounts, totalOf, type OutcomeCounts } from '../../src/domain/PhotoOutcome';
import type { PhotoJob } from '../../src/domain/PhotoJob';
import { newRunId, type Run } from '../../src/domain/Run';
import type { JobCompletion } from '../../src/storage/JobCompletionCoalescer';
import { RunStore } from '../../src/storage/RunStore';

/**
 * A run completes exactly once — one `finishedRun` handed back, one `runSummary` logged — however
 * its jobs arrive: twice, all at once, before or after planning ends, after a failed delivery, or
 * through the poison queue. Real Azurite: the guarantee rests on its ETags and transactions.
 */

const USERS = 64;
let t: TestEnvironment;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: USERS });
  await t.setSettings(true, true);
});

afterAll(async () => {
  await t.stop();
});

afterEach(() => {
  jest.restoreAllMocks();
});

const counts = (partial: Partial<OutcomeCounts>): OutcomeCounts => ({ ...emptyCounts(), ...partial });
const tenantIds = (): string[] => t.tenant.users().map((user) => user.id);

/** A run as the planner leaves it after listing: `users` listed, `jobs` photo jobs enqueued. */
async function plannedRun(users: number, jobs: number): Promise<string> {
  const runId = newRunId();
  await t.services.runs.create(runId, 'manual', true, new Date());
  await t.services.runs.addPlanned(runId, users, jobs);
  return runId;
}

async function run(runId: string): Promise<Run> {
  const found = await t.services.runs.get(runId);
  if (found === undefined) throw new Error(`no run ${runId}`);
  return found;
}

const summariesOf = (runId: string): Array<Record<string, unknown>> =>
  t.logEvents('runSummary').filter((entry) => entry.runId === runId);
const finishedRuns = (completions: readonly JobCompletion[]): Run[] =>
  completions.flatMap((completion) => (completion.finishedRun === undefined ? [] : [completion.finishedRun]));

describe('the same job recorded twice', () => {
  test('one after the other: counted once, the run finished once', async () => {
    const runId = await plannedRun(3, 1);
    expect(await t.services.runs.finishPlanning(runId)).toBeUndefined();

    const first = await t.services.runs.recordJobDone(runId, '1', counts({ added: 2, noPhoto: 1 }));
    const second = await t.services.runs.recordJobDone(runId, '1', counts({ added: 2, noPhoto: 1 }));

    expect(first).toMatchObject({
      counted: true,
      finishedRun: { status: 'completed', photos: counts({ added: 2, noPhoto: 1 }) },
    });
    expect(second).toEqual({ counted: false });
    expect(await run(runId)).toMatchObject({
      status: 'completed',
      photos: counts({ added: 2, noPhoto: 1 }),
      jobs: { total: 1, done: 1, poisoned: 0 },
    });
  });

  test('at the same moment: one of them counts, and only that one finishes the run', async () => {
    const runId = await plannedRun(2, 1);
    await t.services.runs.finishPlanning(runId);

    const completions = await Promise.all(
      [1, 2, 3].map(() => t.services.runs.recordJobDone(runId, '1', counts({ updated: 1, unchanged: 1 }))),
    );

    expect(completions.filter((completion) => completion.counted)).toHaveLength(1);
    expect(finishedRuns(completions)).toHaveLength(1);
    expect(await run(runId)).toMatchObject({
      status: 'completed',
      photos: counts({ updated: 1, unchanged: 1 }),
      jobs: { done: 1 },
    });
  });
});

test('32 jobs finished by parallel workers, each delivered twice: one summary, counts add up', async () => {
  const ids = tenantIds();
  const jobs: PhotoJob[] = [];
  const runId = await plannedRun(USERS, USERS / 2);
  for (let index = 0; index < USERS; index += 2)
    jobs.push({ runId, jobId: String(index / 2 + 1), userIds: ids.slice(index, index + 2) });
  expect(await t.services.runs.finishPlanning(runId)).toBeUndefined();

  // Every delivery of every job at once, as parallel workers holding duplicate messages would run them.
  await Promise.all(
    jobs.flatMap((job) => [job, job]).map((job) => photoWorkerHandler(job, t.context('photoWorker'))),
  );

  const withPhoto = ids.filter((id) => t.tenant.photoOf(id) !== null).length;
  const finished = await run(runId);
  expect(finished).toMatchObject({
    status: 'completed',
    users: USERS,
    jobs: { total: jobs.length, done: jobs.length, poisoned: 0 },
  });
  expect(finished.finishedAt).not.toBeNull();
  expect(finished.photos.added + finished.photos.unchanged).toBe(withPhoto);
  expect(finished.photos.noPhoto).toBe(USERS - withPhoto);
  expect(totalOf(finished.photos)).toBe(USERS);
  expect(summariesOf(runId)).toHaveLength(1);
  expect(summariesOf(runId)[0]).toMatchObject({ status: 'completed', photos: finished.photos });
  expect(t.logEvents('photoJobRepeated').filter((entry) => entry.runId === runId)).toHaveLength(jobs.length);
});

test("40 jobs recorded at once through four hosts' own run stores, each job twice: counted once, finished once", async () => {
  const runId = await plannedRun(40 * 20, 40);
  await t.services.runs.finishPlanning(runId);
  // One RunStore per host: within a host completions may be batched, between hosts only the ETag orders them.
  const hosts = [1, 2, 3, 4].map(
    () => new RunStore(t.services.storage.tables.runs, t.services.storage.tables.runIndex),
  );
  const deliveries = Array.from({ length: 40 }, (_, index) => String(index + 1)).flatMap((jobId, index) => [
    { host: hosts[index % 4], jobId },
    { host: hosts[(index + 1) % 4], jobId },
  ]);

  const completions = await Promise.all(
    deliveries.map(({ host, jobId }) =>
      host.recordJobDone(
        runId,
        jobId,
        counts({ added: Number(jobId) % 3, unchanged: 20 - (Number(jobId) % 3) }),
      ),
    ),
  );

  expect(completions.filter((completion) => completion.counted)).toHaveLength(40);
  expect(finishedRuns(completions)).toHaveLength(1);
  const expectedAdded = Array.from({ length: 40 }, (_, index) => (index + 1) % 3).reduce(
    (sum, added) => sum + added,
    0,
  );
  const finished = await run(runId);
  expect(finished).toMatchObject({
    status: 'completed',
    jobs: { total: 40, done: 40 },
    photos: counts({ added: expectedAdded, unchanged: 40 * 20 - expectedAdded }),
  });
  expect(finishedRuns(completions)[0]).toEqual(finished);
});

describe('the last job and the end of planning', () => {
  test('jobs that catch up with planning midway do not finish the run; the end of planning does', async () => {
    const runId = await plannedRun(40, 2);
    const early = [
      await t.services.runs.recordJobDone(runId, '1', counts({ added: 20 })),
      await t.services.runs.recordJobDone(runId, '2', counts({ noPhoto: 20 })),
    ];
    // Every job enqueued so far is done, but the planner is still listing: not finished.
    expect(finishedRuns(early)).toEqual([]);
    expect(await run(runId)).toMatchObject({
      status: 'running',
      finishedAt: null,
      jobs: { total: null, done: 2 },
    });

    await t.services.runs.addPlanned(runId, 5, 1);
    expect(await t.services.runs.recordJobDone(runId, '3', counts({ unchanged: 5 }))).toEqual({
      counted: true,
    });
    const finished = await t.services.runs.finishPlanning(runId);

    expect(finished).toMatchObject({
      status: 'completed',
      users: 45,
      photos: counts({ added: 20, noPhoto: 20, unchanged: 5 }),
      jobs: { total: 3, done: 3 },
    });
    expect(finished?.finishedAt).not.toBeNull();
    // A repeated end of planning (a poisoned run request, say) does not finish it a second time.
    expect(await t.services.runs.finishPlanning(runId)).toBeUndefined();
    expect((await run(runId)).finishedAt).toBe(finished?.finishedAt);
  });

  test('the last job after planning ended finishes the run, and only the last one', async () => {
    const runId = await plannedRun(30, 2);
    expect(await t.services.runs.finishPlanning(runId)).toBeUndefined();

    const first = await t.services.runs.recordJobDone(runId, '1', counts({ added: 20 }));
    const last = await t.services.runs.recordJobDone(runId, '2', counts({ failed: 10 }));

    expect(first).toEqual({ counted: true });
    expect(last.finishedRun).toMatchObject({
      status: 'completed',
      photos: counts({ added: 20, failed: 10 }),
      jobs: { total: 2, done: 2 },
    });
  });

  test('the end of planning racing the last job: exactly one of them finishes the run', async () => {
    for (let attempt = 0; attempt < 8; attempt++) {
      const runId = await plannedRun(1, 1);
      const [planningEnd, lastJob] = await Promise.all([
        t.services.runs.finishPlanning(runId),
        t.services.runs.recordJobDone(runId, '1', counts({ added: 1 })),
      ]);
      const finishers = [planningEnd, lastJob.finishedRun].filter((finished) => finished !== undefined);
      expect({ attempt, finishers: finishers.length }).toEqual({ attempt, finishers: 1 });
      expect(await run(runId)).toMatchObject({ status: 'completed', photos: counts({ added: 1 }) });
    }
  });

  test('a run without photo jobs (photo sync off) is finished by the end of planning', async () => {
    const runId = await plannedRun(12, 0);
    expect(await run(runId)).toMatchObject({ status: 'running' });

    expect(await t.services.runs.finishPlanning(runId)).toMatchObject({
      status: 'completed',
      users: 12,
      photos: emptyCounts(),
      jobs: { total: 0, done: 0 },
    });
  });
});

describe('failed deliveries', () => {
  test('a job whose first delivery failed is counted once, by the retry that succeeded', async () => {
    const runId = await plannedRun(3, 1);
    await t.services.runs.finishPlanning(runId);
    const userIds = tenantIds().slice(0, 3);
    // Storage fails under the worker once: the message goes back to the queue and comes again.
    jest
      .spyOn(t.services.identities, 'writePhotoFields')
      .mockRejectedValueOnce(Object.assign(new Error('storage unreachable'), { code: 'ECONNREFUSED' }));
    await t.services.photoJobs.send({ runId, jobId: '1', userIds });

    await t.drainQueues();

    const finished = await run(runId);
    expect(finished).toMatchObject({ status: 'completed', jobs: { total: 1, done: 1, poisoned: 0 } });
    expect(totalOf(finished.photos)).toBe(3);
    expect(finished.photos.failed).toBe(0);
    expect(summariesOf(runId)).toHaveLength(1);
    expect(
      t.logs.some(
        (line) => line.message.includes('queueHost') && line.message.includes('storage unreachable'),
      ),
    ).toBe(true);
  });

  test('a job that fails every delivery is poisoned and still counted: its users failed, the run completed', async () => {
    const runId = await plannedRun(2, 1);
    await t.services.runs.finishPlanning(runId);
    const userIds = tenantIds().slice(10, 12);
    // The photo worker checks the settings first; the poison handler does not, so only the worker fails.
    jest
      .spyOn(t.services.settingsCache, 'photoSyncActive')
      .mockRejectedValue(new Error('storage unreachable'));
    await t.services.photoJobs.send({ runId, jobId: '1', userIds });

    await t.drainQueues();

    expect(await run(runId)).toMatchObject({
      status: 'completed',
      photos: counts({ failed: 2 }),
      jobs: { total: 1, done: 1, poisoned: 1 },
    });
    expect(summariesOf(runId)).toHaveLength(1);
    for (const userId of userIds)
      expect(await t.services.identities.get(userId)).toMatchObject({
        lastResult: 'failed',
        lastErrorCode: 'jobFailed',
        lastRunId: runId,
      });
  });

  test('a copy of a job that was counted already is not counted again when it is poisoned', async () => {
    const runId = await plannedRun(2, 1);
    await t.services.runs.finishPlanning(runId);

    const done = await t.services.runs.recordJobDone(runId, '1', counts({ added: 2 }));
    const poisoned = await t.services.runs.recordJobDone(runId, '1', counts({ failed: 2 }), {
      poisoned: true,
    });

    expect(finishedRuns([done, poisoned])).toHaveLength(1);
    expect(poisoned).toEqual({ counted: false });
    expect(await run(runId)).toMatchObject({ photos: counts({ added: 2 }), jobs: { done: 1, poisoned: 0 } });
  });
});

describe('job markers of old runs', () => {
  const DAY_MS = 24 * 3600 * 1000;
  const rowKeysOf = async (runId: string): Promise<string[]> => {
    const keys: string[] = [];
    for await (const row of t.services.storage.tables.runs.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${runId}`, select: ['RowKey'] },
    }))
      keys.push(String(row.rowKey));
    return keys.sort();
  };
  async function finishedRun(startedAt: Date, jobs: number): Promise<string> {
    const runId = newRunId(startedAt);
    await t.services.runs.create(runId, 'timer', true, startedAt);
    await t.services.runs.addPlanned(runId, jobs * 20, jobs);
    for (let job = 1; job <= jobs; job++)
      await t.services.runs.recordJobDone(runId, String(job), counts({ unchanged: 20 }));
    await t.services.runs.finishPlanning(runId);
    return runId;
  }

  test('are deleted once no job of the run can arrive; the run and its counts stay, newer runs keep theirs', async () => {
    const now = new Date();
    const old = await finishedRun(new Date(now.getTime() - 16 * DAY_MS), 3);
    const recent = await finishedRun(new Date(now.getTime() - 14 * DAY_MS), 2);
    expect(await rowKeysOf(old)).toEqual(['job-1', 'job-2', 'job-3', 'run']);

    expect(await t.services.runs.pruneJobMarkers(now)).toEqual({ runs: 1, markers: 3 });
    expect(await rowKeysOf(old)).toEqual(['run']);
    expect(await rowKeysOf(recent)).toEqual(['job-1', 'job-2', 'run']);
    expect(await run(old)).toMatchObject({
      status: 'completed',
      photos: counts({ unchanged: 60 }),
      jobs: { total: 3, done: 3 },
    });
    // Pruned runs are marked: the next planning does not go through them again.
    expect(await t.services.runs.pruneJobMarkers(now)).toEqual({ runs: 0, markers: 0 });
  });

  test('a run with more markers than a page and a transaction holds loses them all', async () => {
    const now = new Date();
    const old = await finishedRun(new Date(now.getTime() - 30 * DAY_MS), 0);
    // Written straight to the table: recording 1,050 jobs one by one would only slow the test.
    for (let first = 1; first <= 1050; first += 100) {
      const ids = Array.from({ length: Math.min(100, 1051 - first) }, (_, n) => first + n);
      await t.services.storage.tables.runs.submitTransaction(
        ids.map((id) => ['create', { partitionKey: old, rowKey: `job-${id}`, poisoned: false }]),
      );
    }
    expect(await t.services.runs.pruneJobMarkers(now)).toEqual({ runs: 1, markers: 1050 });
    expect(await rowKeysOf(old)).toEqual(['run']);
  });
});
