import { TestEnvironment } from '../helpers/TestEnvironment';
import { newRunId } from '../../src/domain/Run';
import { emptyCounts } from '../../src/domain/PhotoOutcome';
import { pruneHistory, RETENTION_BOUNDS } from '../../src/sync/pruneHistory';
import { SyncLog } from '../../src/sync/SyncLog';
import { tenantUserIds } from '../helpers/Invariants';

/**
 * Retention (PHOTO_HISTORY_DAYS): photo log events, settings history and runs with their job
 * markers older than the retention are deleted, in bounded work per run; nothing newer is.
 */

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-12-02T12:00:00.000Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
let t: TestEnvironment;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 3 });
});

afterAll(async () => {
  await t.stop();
});

async function runAt(at: Date): Promise<string> {
  const runId = newRunId(at);
  await t.services.runs.create(runId, 'manual', true, at);
  await t.services.runs.addPlanned(runId, 1, 1);
  await t.services.runs.recordJobDone(runId, '1', { ...emptyCounts(), unchanged: 1 });
  return runId;
}

async function jobMarkers(runId: string): Promise<number> {
  let count = 0;
  for await (const row of t.services.storage.tables.runs.listEntities({
    queryOptions: { filter: `PartitionKey eq '${runId}'` },
  }))
    if (String(row.rowKey).startsWith('job-')) count++;
  return count;
}

test('deletes only what is older than PHOTO_HISTORY_DAYS: photo log events, settings history, runs and their job markers', async () => {
  const [userId] = tenantUserIds(t);
  const oldRun = await runAt(daysAgo(91));
  const keptRun = await runAt(daysAgo(89));
  for (const [runId, at] of [
    [oldRun, daysAgo(91)],
    [keptRun, daysAgo(89)],
  ] as const)
    await t.services.events.append(userId, {
      at: at.toISOString(),
      runId,
      result: 'added',
      reason: null,
      error: null,
    });
  await t.services.settings.update({ userPhotos: true }, undefined, 'old admin', daysAgo(120));
  await t.services.settings.update({ userPhotos: false }, undefined, 'recent admin', daysAgo(10));
  expect(await jobMarkers(oldRun)).toBe(1);

  await pruneHistory('test', NOW, {
    events: t.services.events,
    settings: t.services.settings,
    runs: t.services.runs,
    historyDays: 90,
    log: new SyncLog(t.context()),
  });

  expect((await t.services.events.recent(userId)).map((event) => event.runId)).toEqual([keptRun]);
  expect((await t.services.settings.history({ top: 10 })).changes.map((change) => change.by)).toEqual([
    'recent admin',
  ]);
  expect(await t.services.runs.get(oldRun)).toBeUndefined();
  expect(await jobMarkers(oldRun)).toBe(0);
  expect(await t.services.runs.get(keptRun)).toBeDefined();
  expect(await jobMarkers(keptRun)).toBe(1);
  expect((await t.services.runs.list(50)).map((run) => run.runId)).toEqual([keptRun]);
  expect(t.logEvents('historyPruned').at(-1)).toMatchObject({
    events: 1,
    settingsChanges: 1,
    runs: 1,
    jobMarkers: 1,
  });
});

test('bounded work per run: a long backlog of old runs goes a few at a time', async () => {
  const old = [];
  for (let i = 0; i < RETENTION_BOUNDS.runs + 3; i++) old.push(await runAt(daysAgo(200 + i)));
  const deps = {
    events: t.services.events,
    settings: t.services.settings,
    runs: t.services.runs,
    historyDays: 90,
    log: new SyncLog(t.context()),
  };

  await pruneHistory('first', NOW, deps);
  const left = (await Promise.all(old.map((runId) => t.services.runs.get(runId)))).filter(Boolean);
  expect(left).toHaveLength(3);

  await pruneHistory('second', NOW, deps);
  expect((await Promise.all(old.map((runId) => t.services.runs.get(runId)))).filter(Boolean)).toHaveLength(0);
});

test('each planning prunes: an old run is gone after the next sync', async () => {
  const old = await runAt(new Date(Date.now() - 100 * DAY));
  await t.runSync();
  expect(await t.services.runs.get(old)).toBeUndefined();
});
