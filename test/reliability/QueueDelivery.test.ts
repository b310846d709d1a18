import { TestEnvironment } from '../helpers/TestEnvironment';
import { OutboundRequests } from '../helpers/OutboundRequests';
import {
  expectCountsAddUp,
  expectHealedByCleanRun,
  expectNothingLost,
  storedStates,
  tenantUserIds,
  usersWithPhoto,
  usersWithoutPhoto,
} from '../helpers/Invariants';
import { processEachTwiceAtOnce, queuedPhotoJobs } from '../helpers/PhotoJobs';
import type { PhotoJob } from '../../src/domain/PhotoJob';
import type { PhotoBlobStore } from '../../src/storage/PhotoBlobStore';
import type { JobQueue } from '../../src/storage/JobQueue';
import { MethodInterceptor } from '../helpers/MethodInterceptor';

/**
 * What a queue can do to the photo jobs: deliver one twice, hand the same job to two workers at
 * once, keep failing one until it is poisoned, and carry messages that are not photo jobs at all.
 */

const MAX_DEQUEUE_COUNT = 3;
let t: TestEnvironment;
const interceptor = new MethodInterceptor();
const requests = new OutboundRequests();

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 40, queue: { maxDequeueCount: MAX_DEQUEUE_COUNT } });
  await t.setSettings(true, true);
  await expectHealedByCleanRun(t);
  requests.start();
});

afterEach(() => {
  interceptor.restoreAll();
});

afterAll(async () => {
  requests.stop();
  await t.stop();
});

function changeSomePhotos(): void {
  const withPhoto = usersWithPhoto(t);
  for (const userId of withPhoto.slice(0, 6)) t.tenant.changePhoto(userId);
  t.tenant.reuploadPhoto(withPhoto[6]);
  t.tenant.removePhoto(withPhoto[7]);
  t.tenant.addPhoto(usersWithoutPhoto(t)[0]);
}

async function approximateCount(
  queue: 'photoJobs' | 'photoJobsPoison' | 'runRequests' | 'runRequestsPoison',
): Promise<number> {
  return (await t.services.storage.queues[queue].getProperties()).approximateMessagesCount ?? 0;
}

test('every photo job delivered twice: each is counted once, the repeat changes nothing twice', async () => {
  changeSomePhotos();
  const before = await storedStates(t);
  interceptor.intercept(
    t.services.photoJobs,
    'send',
    (original: JobQueue<PhotoJob>['send']) => async (job) => {
      await original(job);
      await original(job);
    },
  );
  const repeatedBefore = t.logEvents('photoJobRepeated').length;
  const run = await t.runSync();
  expectCountsAddUp(run);
  expect(run).toMatchObject({ status: 'completed', users: t.tenant.count, jobs: { poisoned: 0 } });
  expect(run.photos).toMatchObject({
    updated: 6,
    unchanged: usersWithPhoto(t).length - 7,
    removed: 1,
    added: 1,
    failed: 0,
  });
  expect(t.logEvents('photoJobRepeated').length - repeatedBefore).toBe(run.jobs.total);
  await expectNothingLost(t, before, { run });
  await expectHealedByCleanRun(t);
});

test('two workers hold the same job (and so the same users) at once, and the queue delivers it a third time: one count, consistent store', async () => {
  changeSomePhotos();
  const before = await storedStates(t);
  const runId = await t.planOnly();
  const jobs = await queuedPhotoJobs(t);
  expect(jobs.length).toBeGreaterThan(1);
  await processEachTwiceAtOnce(t, jobs);
  await t.drainQueues();
  const run = (await t.services.runs.get(runId))!;
  expectCountsAddUp(run);
  expect(run).toMatchObject({
    status: 'completed',
    users: t.tenant.count,
    jobs: { total: jobs.length, done: jobs.length },
  });
  expect(run.photos.failed).toBe(0);
  await expectNothingLost(t, before, { run });
  await expectHealedByCleanRun(t);
});

test(`a job that keeps failing goes to the poison queue after ${MAX_DEQUEUE_COUNT} deliveries, logged with its reason, and is counted in its run`, async () => {
  const withPhoto = usersWithPhoto(t);
  const broken = withPhoto[8];
  t.tenant.changePhoto(broken);
  t.tenant.changePhoto(withPhoto[9]);
  const before = await storedStates(t);
  interceptor.intercept(
    t.services.photoBlobs,
    'write',
    (original: PhotoBlobStore['write']) => async (userId, photo) => {
      if (userId === broken)
        throw Object.assign(new Error(`Simulated: blob storage refuses ${userId}`), { statusCode: 500 });
      return original(userId, photo);
    },
  );
  const run = await t.runSync();

  expectCountsAddUp(run);
  expect(run).toMatchObject({ status: 'completed', users: t.tenant.count, jobs: { poisoned: 1 } });
  const poisoned = t.logEvents('photoJobPoisoned').filter((entry) => entry.runId === run.runId);
  expect(poisoned).toHaveLength(1);
  const jobUsers = Number(poisoned[0].users);
  expect(run.photos.failed).toBe(jobUsers);
  // Every user of the poisoned job is `failed` with the job's code; nobody else is.
  const states = await storedStates(t);
  const failedUsers = tenantUserIds(t).filter((userId) => states.get(userId)!.lastResult === 'failed');
  expect(failedUsers).toHaveLength(jobUsers);
  expect(failedUsers).toContain(broken);
  for (const userId of failedUsers) expect(states.get(userId)!.lastErrorCode).toBe('jobFailed');
  // The host logged each failed delivery and the move to the poison queue, with the reason.
  const hostLines = t
    .logEvents('queueHost')
    .map((entry) => String(entry.reason))
    .filter((reason) => reason.includes(`Simulated: blob storage refuses ${broken}`));
  expect(hostLines.filter((line) => /failed \(delivery \d of 3\)/.test(line))).toHaveLength(
    MAX_DEQUEUE_COUNT - 1,
  );
  expect(
    hostLines.filter((line) =>
      line.includes(`failed ${MAX_DEQUEUE_COUNT} times and was moved to photo-sync-jobs-poison`),
    ),
  ).toHaveLength(1);
  expect(t.logLine('error', 'photoJobPoisoned', run.runId)).toBeDefined();
  expect((await t.services.events.recent(broken))[0]).toMatchObject({
    runId: run.runId,
    result: 'failed',
    error: { code: 'jobFailed' },
  });
  // Other users of the job may hold their new blob already (blobs are written first); no photo is lost.
  await expectNothingLost(t, before, { run, failedMayHaveNewBlob: true });
  expect(await approximateCount('photoJobsPoison')).toBe(0);

  interceptor.restoreAll();
  await expectHealedByCleanRun(t);
});

describe('messages that are not photo jobs', () => {
  const runId = '20261126T200412Z-abcdef';
  const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
  const traversal = '../../etc/passwd';
  const injection = "x' or PartitionKey ne '";
  const photoJobMessages: Array<[string, string]> = [
    ['plain text, not base64 JSON', '{nope'],
    ['base64 of text that is not JSON', Buffer.from('{nope').toString('base64')],
    ['JSON null', json(null)],
    ['a JSON array', json([guid(1)])],
    ['wrong types', json({ runId, jobId: 1, userIds: guid(1) })],
    ['an unknown key', json({ runId, jobId: '1', userIds: [guid(1)], deleteAll: true })],
    ['no user ids', json({ runId, jobId: '1', userIds: [] })],
    ['21 user ids', json({ runId, jobId: '1', userIds: Array.from({ length: 21 }, (_, n) => guid(n)) })],
    ['a repeated id', json({ runId, jobId: '1', userIds: [guid(1), guid(1)] })],
    ['path traversal', json({ runId, jobId: '1', userIds: [guid(1), traversal] })],
    ['OData injection', json({ runId, jobId: '1', userIds: [injection] })],
    ['a URL-encoded traversal', json({ runId, jobId: '1', userIds: ['..%2F..%2Fuser-photos'] })],
    ['a GUID with a trailing newline', json({ runId, jobId: '1', userIds: [`${guid(2)}\n`] })],
    [
      'a user principal name (jobs carry object ids)',
      json({ runId, jobId: '1', userIds: ['ada@contoso.example'] }),
    ],
    ['an injected run id', json({ runId: `${runId}' or RowKey ne '`, jobId: '1', userIds: [guid(1)] })],
    ['a job id with a path', json({ runId, jobId: '../run', userIds: [guid(1)] })],
  ];
  const runRequestMessages: Array<[string, string]> = [
    ['not JSON', '{nope'],
    ['wrong shape', json({ run: runId })],
    ['an injected run id', json({ runId: `${runId}' or PartitionKey ne '` })],
    ['a run that does not exist', json({ runId })],
  ];

  test('are refused whole with their reason, completed (not retried or poisoned), and never reach Graph, a blob name or a table query; the worker stays healthy', async () => {
    const queues = t.services.storage.queues;
    for (const [, text] of photoJobMessages) await queues.photoJobs.sendMessage(text);
    for (const [, text] of runRequestMessages) await queues.runRequests.sendMessage(text);
    // The poison queue's handler reads messages too.
    for (const [, text] of photoJobMessages.slice(0, 4)) await queues.photoJobsPoison.sendMessage(text);
    const blobsBefore = await storedStates(t);
    const refusedBefore = t.logEvents('messageRefused').length;
    t.sim.resetCounters();
    requests.clear();

    await t.drainQueues();

    const refused = t.logEvents('messageRefused').slice(refusedBefore);
    expect(refused).toHaveLength(photoJobMessages.length + runRequestMessages.length + 4);
    for (const entry of refused) expect(entry.reason).toEqual(expect.any(String));
    expect(refused.filter((entry) => entry.queue === 'photoJobs').map((entry) => entry.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/not JSON/),
        expect.stringMatching(/more than 20/),
        expect.stringMatching(/object id/),
        expect.stringMatching(/appears twice/),
        expect.stringMatching(/run id/),
      ]),
    );
    expect(
      t.logs
        .filter((line) => line.message.includes('messageRefused'))
        .every((line) => line.level === 'error'),
    ).toBe(true);
    // Nothing retried, nothing poisoned, nothing left.
    for (const queue of ['photoJobs', 'photoJobsPoison', 'runRequests', 'runRequestsPoison'] as const)
      expect([queue, await approximateCount(queue)]).toEqual([queue, 0]);
    expect(t.logEvents('queueHost')).toEqual(
      expect.not.arrayContaining([
        expect.objectContaining({ reason: expect.stringMatching(/etc\/passwd|PartitionKey/) }),
      ]),
    );
    // Not one Graph request; no storage request names any of the ids; no blob appeared.
    expect(t.sim.counters.requests).toBe(0);
    for (const text of [
      traversal,
      'etc/passwd',
      injection,
      'PartitionKey ne',
      'RowKey ne',
      "' or",
      '..%2F',
      '../',
      'ada@contoso.example',
    ])
      expect([text, requests.mentioning(text)]).toEqual([text, []]);
    expect(requests.requests.every((request) => !request.hostPort.startsWith('localhost:'))).toBe(true);
    expect(await storedStates(t)).toEqual(blobsBefore);

    // The worker is healthy: a normal run right after works end to end.
    await expectHealedByCleanRun(t);
  });
});
