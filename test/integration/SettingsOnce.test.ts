import { photoWorkerHandler } from '../../src/functions/photoWorker';
import { newRunId } from '../../src/domain/Run';
import { SettingsCache } from '../../src/storage/SettingsCache';
import { MethodInterceptor } from '../helpers/MethodInterceptor';
import { TestEnvironment } from '../helpers/TestEnvironment';

/**
 * The photo jobs of one process read the settings once, not once a job, and turning photo sync off
 * still stops the very next job: the change answers only after no earlier read is trusted.
 */

const USERS = 100;
let t: TestEnvironment;
const interceptor = new MethodInterceptor();
let settingsReads = 0;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: USERS });
  await t.setSettings(true, true);
  await t.runSync();
});

beforeEach(() => {
  settingsReads = 0;
  interceptor.intercept(t.services.settings, 'read', (read) => () => {
    settingsReads++;
    return read();
  });
});

afterEach(() => interceptor.restoreAll());

afterAll(async () => {
  await t.stop();
});

const photoRequests = (): number =>
  t.sim.counters.batchItems + t.sim.counters.directMetadata + t.sim.counters.directValue;

test("a run's photo jobs in one process read the settings once", async () => {
  // The run's jobs all start within the trust window here (a clock that stands still), whatever
  // the machine's load; the window itself is what the next test holds to.
  const processCache = t.services.settingsCache;
  t.services.settingsCache = new SettingsCache(t.services.settings, () => 0);
  const runId = await t.planOnly();
  settingsReads = 0;

  await t.drainQueues().finally(() => (t.services.settingsCache = processCache));

  const run = await t.services.runs.get(runId);
  expect(run?.status).toBe('completed');
  expect(run?.jobs.total).toBe(USERS / 20);
  expect(settingsReads).toBe(1);
});

test('turning photo sync off stops the very next photo job, however recently settings were read', async () => {
  // A cache that has read nothing yet, so the first job's read is this test's, whenever the test
  // before (or the run in beforeAll) last read the settings.
  const processCache = t.services.settingsCache;
  t.services.settingsCache = new SettingsCache(t.services.settings);
  try {
    await offStopsTheNextJob();
  } finally {
    t.services.settingsCache = processCache;
  }
});

async function offStopsTheNextJob(): Promise<void> {
  const runId = newRunId();
  await t.services.runs.create(runId, 'manual', true, new Date());
  await t.services.runs.addPlanned(runId, 40, 2);
  await t.services.runs.finishPlanning(runId);
  const ids = Array.from({ length: USERS }, (_, index) => t.tenant.userAt(index).id).sort();
  t.sim.resetCounters();
  await photoWorkerHandler({ runId, jobId: '1', userIds: ids.slice(0, 20) }, t.context('photoWorker'));
  expect(photoRequests()).toBe(20);
  expect(settingsReads).toBe(1);

  await t.setSettings(true, false);
  t.sim.resetCounters();
  await photoWorkerHandler({ runId, jobId: '2', userIds: ids.slice(20, 40) }, t.context('photoWorker'));

  expect(photoRequests()).toBe(0);
  expect(t.logEvents('photoJobSkipped').some((entry) => entry.runId === runId && entry.jobId === '2')).toBe(
    true,
  );
  expect((await t.services.runs.get(runId))?.status).toBe('completed');
  await t.setSettings(true, true);
}
