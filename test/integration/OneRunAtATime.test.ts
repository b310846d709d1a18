import type { Timer } from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { JSON_CONTENT, TestEnvironment } from '../helpers/TestEnvironment';
import { queuedPhotoJobs } from '../helpers/PhotoJobs';
import { photoSyncTimerHandler } from '../../src/functions/photoSyncTimer';
import { photosPurgeHandler } from '../../src/functions/photosPurge';
import { photoWorkerHandler } from '../../src/functions/photoWorker';
import { syncHandler } from '../../src/functions/sync';
import { totalOf } from '../../src/domain/PhotoOutcome';
import type { Run } from '../../src/domain/Run';
import { STUCK_AFTER_MS } from '../../src/domain/StuckRun';
import { RunStore } from '../../src/storage/RunStore';
import { TABLES } from '../../src/storage/StorageNames';
import { closeStuckRuns } from '../../src/sync/closeStuckRuns';
import { planRun } from '../../src/sync/planRun';
import { startRun, type RunStart } from '../../src/sync/startRun';
import { plannerDeps } from '../../src/sync/SyncDeps';
import { SyncLog } from '../../src/sync/SyncLog';

/**
 * One run at a time, and none stuck (docs/design.md, "How runs recover"): real Azurite decides who
 * takes the run slot, the real handlers answer, and time past the stuck threshold is a `now` handed
 * in, not waited for.
 */

const MINUTE = 60_000;
let t: TestEnvironment;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 45 });
  await t.setSettings(true, true);
});

afterAll(async () => {
  await t.stop();
});

const log = (): SyncLog => new SyncLog(t.context('test'));
const startDeps = () => ({ settings: t.services.settings, runs: t.services.runs, log: log() });
const postSync = () => t.http(syncHandler, { method: 'POST', path: 'sync', headers: JSON_CONTENT });

async function run(runId: string): Promise<Run> {
  const found = await t.services.runs.get(runId);
  if (found === undefined) throw new Error(`no run ${runId}`);
  return found;
}

function started(start: RunStart): Run {
  if (start.kind !== 'started') throw new Error(`no run started: ${start.runId} is in progress`);
  return start.run;
}

/** A run whose planning never comes: what a host killed right after opening it leaves. */
async function runThatNeverPlans(at: Date): Promise<Run> {
  return started(await startRun('timer', startDeps(), at));
}

/** The slot goes back whenever a run ends; a run with nothing enqueued ends with its planning. */
async function endPlanning(runId: string): Promise<void> {
  await t.services.runs.finishPlanning(runId);
  expect((await run(runId)).status).not.toBe('running');
}

const timer: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: true },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

test('10 parallel POST /api/sync: one 202, nine 409 runInProgress naming that run', async () => {
  const answers = await Promise.all(Array.from({ length: 10 }, postSync));

  const accepted = answers.filter((answer) => answer.status === 202);
  const refused = answers.filter((answer) => answer.status === 409);
  expect(accepted).toHaveLength(1);
  expect(refused).toHaveLength(9);
  const { runId } = accepted[0].jsonBody as { runId: string };
  for (const answer of refused) {
    expect(answer.jsonBody).toEqual({
      error: { code: 'runInProgress', message: expect.stringContaining(runId) as string },
      runId,
    });
    expect(answer.headers).toMatchObject({ Location: `/api/runs/${runId}` });
  }
  expect((await t.services.runs.list(20)).map((listed) => listed.runId)).toEqual([runId]);

  // The run ends, and with it the slot: the next start is accepted.
  await t.drainQueues();
  expect((await run(runId)).status).toBe('completed');
  const next = await postSync();
  expect(next.status).toBe(202);
  await t.drainQueues();
});

test('two starts in the same millisecond through two separate stores: one run starts', async () => {
  const connection = t.env.AzureWebJobsStorage;
  const storeOf = (): RunStore =>
    new RunStore(
      TableClient.fromConnectionString(connection, TABLES.runs, { allowInsecureConnection: true }),
      TableClient.fromConnectionString(connection, TABLES.runIndex, { allowInsecureConnection: true }),
    );
  const at = new Date();

  const starts = await Promise.all(
    [storeOf(), storeOf()].map((runs) => startRun('manual', { ...startDeps(), runs }, at)),
  );

  const winners = starts.filter((start) => start.kind === 'started');
  expect(winners).toHaveLength(1);
  const winner = started(winners[0]);
  expect(starts.filter((start) => start.kind === 'busy')).toEqual([{ kind: 'busy', runId: winner.runId }]);
  await endPlanning(winner.runId);
});

test('a timer tick during a run starts nothing and logs runSkipped', async () => {
  const runId = await t.planOnly();
  const before = (await t.services.runs.list(50)).length;

  await photoSyncTimerHandler(timer, t.context('photoSyncTimer'));

  expect(t.logEvents('runSkipped')).toEqual([expect.objectContaining({ runId })]);
  expect(await t.services.runs.list(50)).toHaveLength(before);
  await t.drainQueues();
  expect((await run(runId)).status).toBe('completed');
});

test('POST /api/photos/purge during a run: 409 runInProgress, no purge run', async () => {
  await t.setSettings(false, false);
  const inProgress = await runThatNeverPlans(new Date());
  const before = (await t.services.runs.list(50)).length;

  const purge = await t.http(photosPurgeHandler, {
    method: 'POST',
    path: 'photos/purge',
    body: JSON.stringify({ confirm: true }),
    headers: { 'Content-Type': 'application/json' },
  });

  expect(purge.status).toBe(409);
  expect(purge.jsonBody).toMatchObject({ error: { code: 'runInProgress' }, runId: inProgress.runId });
  expect(purge.headers).toMatchObject({ Location: `/api/runs/${inProgress.runId}` });
  expect(await t.services.runs.list(50)).toHaveLength(before);
  await endPlanning(inProgress.runId);
  await t.setSettings(true, true);
});

test('a run whose planning died is closed failed/interrupted after the threshold, and the next start succeeds', async () => {
  const dead = await runThatNeverPlans(new Date());
  const since = Date.parse(dead.lastProgressAt);
  const notYet = new Date(since + STUCK_AFTER_MS - MINUTE);
  const past = new Date(since + STUCK_AFTER_MS + MINUTE);

  // Before the threshold it is a run in progress, which holds the slot and which no check closes.
  expect(await startRun('manual', startDeps(), notYet)).toEqual({ kind: 'busy', runId: dead.runId });
  expect(await closeStuckRuns({ runs: t.services.runs, log: log() }, notYet)).toEqual({ closed: 0 });
  expect((await run(dead.runId)).status).toBe('running');

  // After it, the next start finds it, closes it, and starts.
  const next = started(await startRun('timer', startDeps(), past));

  expect(await run(dead.runId)).toMatchObject({
    status: 'failed',
    error: { code: 'interrupted' },
    jobs: { total: 0, done: 0 },
    lastProgressAt: dead.lastProgressAt,
  });
  expect((await run(dead.runId)).finishedAt).not.toBeNull();
  expect(t.logEvents('runInterrupted')).toEqual([expect.objectContaining({ runId: dead.runId })]);
  expect(next.runId).not.toBe(dead.runId);

  // Its planner, had it only been slow, stops when it finds the run closed: nothing is added.
  expect(await planRun(dead, plannerDeps(t.services, t.context('photoSyncTimer')))).toBeUndefined();
  expect(t.logEvents('planningStopped')).toEqual([expect.objectContaining({ runId: dead.runId })]);
  expect(await run(dead.runId)).toMatchObject({ status: 'failed', users: 0, jobs: { total: 0 } });

  await endPlanning(next.runId);
});

describe('a run whose photo jobs were lost after planning', () => {
  let runId: string;
  let lostJobs: Awaited<ReturnType<typeof queuedPhotoJobs>>;

  beforeAll(async () => {
    runId = await t.planOnly();
    const jobs = await queuedPhotoJobs(t);
    expect(jobs.length).toBeGreaterThan(1);
    // One job done; the others are lost with their messages.
    await photoWorkerHandler(jobs[0], t.context('photoWorker'));
    await t.services.storage.queues.photoJobs.clearMessages();
    lostJobs = jobs.slice(1);
  });

  test('is closed interrupted by the check, with the done job outcomes kept in its counts', async () => {
    const planned = await run(runId);
    expect(planned).toMatchObject({ status: 'running', jobs: { total: lostJobs.length + 1, done: 1 } });
    const doneUsers = totalOf(planned.photos);
    expect(doneUsers).toBeGreaterThan(0);

    const check = await closeStuckRuns(
      { runs: t.services.runs, log: log() },
      new Date(Date.parse(planned.lastProgressAt) + STUCK_AFTER_MS + MINUTE),
    );

    expect(check).toEqual({ closed: 1 });
    const closed = await run(runId);
    expect(closed).toMatchObject({
      status: 'failed',
      error: { code: 'interrupted', message: expect.stringContaining(`${lostJobs.length} of`) as string },
      jobs: { total: lostJobs.length + 1, done: 1 },
      photos: planned.photos,
      users: planned.users,
    });
    // Its slot is free: the next start is accepted at once.
    const next = await postSync();
    expect(next.status).toBe(202);
    await t.drainQueues();
    expect((await run((next.jsonBody as { runId: string }).runId)).status).toBe('completed');
  });

  test('a late job of the closed run is counted into it once, and the run stays closed', async () => {
    const closed = await run(runId);
    const late = lostJobs[0];

    await photoWorkerHandler(late, t.context('photoWorker'));
    await photoWorkerHandler(late, t.context('photoWorker'));

    const after = await run(runId);
    expect(after).toMatchObject({
      status: 'failed',
      error: closed.error,
      finishedAt: closed.finishedAt,
      jobs: { total: closed.jobs.total, done: closed.jobs.done + 1 },
    });
    expect(totalOf(after.photos)).toBe(totalOf(closed.photos) + late.userIds.length);
    expect(t.logEvents('photoJobAfterRunClosed')).toEqual([
      expect.objectContaining({ runId, jobId: late.jobId, errorCode: 'interrupted' }),
    ]);
    expect(t.logEvents('photoJobRepeated').filter((entry) => entry.runId === runId)).toHaveLength(1);
    // Closed once: one summary, at its closing.
    expect(t.logEvents('runSummary').filter((entry) => entry.runId === runId)).toHaveLength(1);
  });
});
