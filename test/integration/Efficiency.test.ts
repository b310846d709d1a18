import { newRunId } from '../../src/domain/Run';
import { emptyCounts } from '../../src/domain/PhotoOutcome';
import { partitionOf } from '../../src/storage/IdentityStore';
import { StorageOpCounter } from '../../dev/bench/StorageOpCounter';
import { TestEnvironment } from '../helpers/TestEnvironment';

/**
 * What the sync's speed rests on (docs/performance.md), counted rather than timed: Graph requests
 * at the simulator, storage requests where they leave the process.
 */

const USERS = 100;
const PER_BATCH = 20;
let t: TestEnvironment;
let storage: StorageOpCounter;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: USERS });
  await t.setSettings(true, true);
  await t.runSync();
  storage = new StorageOpCounter(t.azurite.ports);
});

afterAll(async () => {
  storage.close();
  await t.stop();
});

afterEach(() => {
  t.sim.resetFaults();
});

const allUserIds = (): string[] => Array.from({ length: USERS }, (_, index) => t.tenant.userAt(index).id);
/** Table order is partition, then row key: for lowercase object ids, whose first digit is the partition, plain order. */
const tableOrder = (ids: string[]): string[] => [...ids].sort();

async function measuredRun() {
  t.sim.resetCounters();
  storage.take();
  const run = await t.runSync();
  return { run, graph: { ...t.sim.counters }, ops: storage.take() };
}

test('nothing changed: one $batch per 20 users, no download, no blob operation, no photo-log write', async () => {
  const { run, graph, ops } = await measuredRun();

  expect(run.photos.failed).toBe(0);
  expect(graph.batchCalls).toBe(Math.ceil(USERS / PER_BATCH));
  expect(graph.batchItems).toBe(USERS);
  expect(graph.directMetadata + graph.directValue).toBe(0);
  expect(graph.requests).toBe(graph.listPages + graph.batchCalls);
  expect(ops.blobOps).toBe(0);
  // A check that finds the photo as stored is no news for the user's photo log: the one operation
  // there is the planning's retention query for events older than PHOTO_HISTORY_DAYS (none).
  expect(ops.tableOpsByTarget.PhotoSyncEvents ?? 0).toBe(1);
  // The delta round names nobody, so the planner reads no user's search terms and writes no core
  // attributes; it reads the stored users back in one page, and each job carries what that page
  // said of its users, so no job reads the table (writes go in $batch).
  expect(ops.tableOpsByTarget.PhotoSyncUsers).toBe(1);
  // Nothing in a name changed: the search index is not touched.
  expect(ops.tableOpsByTarget.PhotoSyncUserSearch ?? 0).toBe(0);
  // One message per photo job of 20 users, and the run request.
  expect(ops.queueSends).toBe(Math.ceil(USERS / PER_BATCH) + 1);
});

test("a removal job's stored states come back in one key-range query, users between its keys left out", async () => {
  const inOnePartition = tableOrder(allUserIds()).filter(
    (id) => partitionOf(id) === partitionOf(allUserIds()[0]),
  );
  expect(inOnePartition.length).toBeGreaterThanOrEqual(3);
  // Every other key: the users in between are in the range, not in the job.
  const job = inOnePartition.filter((_, index) => index % 2 === 0);
  storage.take();

  const states = await t.services.identities.readPhotoStates(job);

  expect(storage.take().tableOps).toBe(1);
  expect(states.size).toBe(job.length);
  for (const userId of job)
    expect(states.get(userId)).toMatchObject({
      rowKey: userId,
      lastResult: (await t.services.identities.get(userId))?.lastResult,
    });
});

test('changed photos: only they are downloaded, only new bytes are written', async () => {
  const change = t.tenant.mutate({ changed: 0.2, reuploadShare: 0.5 });
  expect(change.changedIds.length).toBeGreaterThan(0);
  expect(change.reuploadedIds.length).toBeGreaterThan(0);

  const { run, graph, ops } = await measuredRun();

  // New ETags are downloaded — re-uploads too, since only the bytes tell — and nothing else.
  expect(graph.directValue).toBe(change.changedIds.length + change.reuploadedIds.length);
  expect(graph.photoBytesServed).toBe(change.changedBytes);
  // SHA-256 decides: a re-upload of the same bytes writes no blob.
  expect(ops.blobWrites).toBe(change.changedIds.length);
  expect(run.photos.updated).toBe(change.changedIds.length);
  expect(graph.batchCalls).toBe(Math.ceil(USERS / PER_BATCH));
});

test('jobs of one run finishing at once are counted together, not one read-modify-write each', async () => {
  const jobs = 16;
  const runId = newRunId();
  await t.services.runs.create(runId, 'manual', true, new Date());
  await t.services.runs.addPlanned(runId, jobs * PER_BATCH, jobs);
  await t.services.runs.finishPlanning(runId);
  storage.take();

  const completions = await Promise.all(
    Array.from({ length: jobs }, (_, index) =>
      t.services.runs.recordJobDone(runId, String(index + 1), { ...emptyCounts(), unchanged: PER_BATCH }),
    ),
  );
  const ops = storage.take();

  expect(completions.every((completion) => completion.counted)).toBe(true);
  expect(completions.filter((completion) => completion.finishedRun !== undefined)).toHaveLength(1);
  expect((await t.services.runs.get(runId))?.photos.unchanged).toBe(jobs * PER_BATCH);
  // The first job's transaction, then one for the 15 that waited — no read between, as this
  // process wrote the run last; each job on its own would take at least 32, more with every ETag
  // conflict retried.
  expect(ops.tableOps).toBeLessThanOrEqual(3);
});

test("under Graph's request-rate limit every user completes, none asked again before Retry-After", async () => {
  t.tenant.mutate({ changed: 0.1 });
  t.sim.faults.throttleRps = 15;

  const { run, graph } = await measuredRun();

  expect(graph.throttled).toBeGreaterThan(0);
  expect(graph.earlyRequests).toBe(0);
  expect(run.photos.failed).toBe(0);
  expect(run.users).toBe(USERS);
}, 60_000);
