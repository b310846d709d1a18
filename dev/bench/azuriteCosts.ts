/**
 * `npm run bench:azurite -- --users N`: what each storage operation of a sync costs in the local
 * Azurite once the identity table holds N users. The benchmark's wall times depend on it, and
 * Azurite serves some of them in time that grows with the table (docs/performance.md). The
 * operations are the app's own (IdentityStore, JobQueue), timed one at a time: a planner's pages,
 * a job's reads and writes, and a run's worth of photo jobs (N / 20) through the queue.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import type { DirectoryUser } from '../../src/graph/DirectoryUser';
import { chunks } from '../../src/domain/chunks';
import { MAX_USERS_PER_JOB, type PhotoJob } from '../../src/domain/PhotoJob';
import { JobQueue } from '../../src/storage/JobQueue';
import { USERS_PAGE_SIZE } from '../../src/graph/listUserPages';
import { UserSearchIndex } from '../../src/storage/UserSearchIndex';
import { IdentityStore, partitionOf } from '../../src/storage/IdentityStore';
import { TABLES } from '../../src/storage/StorageNames';
import { Azurite } from '../azurite/Azurite';

const SAMPLES = 100;

function demoUser(id: string): DirectoryUser {
  return {
    id,
    displayName: 'Bench User',
    givenName: 'Bench',
    surname: 'User',
    mail: `${id}@example.test`,
    userPrincipalName: `${id}@example.test`,
    accountEnabled: true,
  };
}

/** Milliseconds since `started` shared out over `count` operations, to two decimals. */
function msEach(started: bigint, count: number): number {
  return Math.round(Number(process.hrtime.bigint() - started) / 1e4 / count) / 100;
}

async function meanMs<T>(items: readonly T[], operation: (item: T) => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  for (const item of items) await operation(item);
  return msEach(started, items.length);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { users: { type: 'string', default: '10000' } }, strict: true });
  const users = Number(values.users);
  if (!Number.isInteger(users) || users < USERS_PAGE_SIZE * 4)
    throw new Error(
      `--users must be an integer of at least ${USERS_PAGE_SIZE * 4} (four full pages), got '${values.users}'`,
    );

  const azurite = await Azurite.start();
  try {
    const table = TableClient.fromConnectionString(azurite.connectionString, TABLES.users, {
      allowInsecureConnection: true,
    });
    const searchTable = TableClient.fromConnectionString(azurite.connectionString, TABLES.userSearch, {
      allowInsecureConnection: true,
    });
    await Promise.all([table.createTable(), searchTable.createTable()]);
    const store = new IdentityStore(table, new UserSearchIndex(searchTable));
    const ids = Array.from({ length: users }, () => randomUUID());
    const pages = chunks(ids, USERS_PAGE_SIZE);
    for (const page of pages.slice(1)) await store.upsertCoreAttributes(page.map(demoUser), new Date());

    // Jobs as the planner cuts them: consecutive row keys of one partition.
    const stored = ids.slice(USERS_PAGE_SIZE).sort();
    const jobs = chunks(stored, MAX_USERS_PER_JOB)
      .filter((job) => partitionOf(job[0]) === partitionOf(job[job.length - 1]))
      .slice(0, SAMPLES);
    const figures = {
      users,
      // The first page was held back so that it adds users, as a cold run's pages do; the others are merged again, as in a steady run.
      plannerNewPageMs: await meanMs([pages[0]], (page) =>
        store.upsertCoreAttributes(page.map(demoUser), new Date()),
      ),
      plannerStoredPageMs: await meanMs(pages.slice(1, 4), (page) =>
        store.upsertCoreAttributes(page.map(demoUser), new Date()),
      ),
      jobRangeReadMs: await meanMs(jobs, (job) => store.readPhotoStates(job)),
      jobRecordWriteMs: await meanMs(jobs, (job) =>
        store.writePhotoFields(
          job.map((userId) => ({
            userId,
            fields: { lastResult: 'unchanged', lastCheckedAt: new Date().toISOString() },
          })),
        ),
      ),
      pointReadMs: await meanMs(stored.slice(0, SAMPLES), (userId) => store.get(userId)),
      // Planning's photo-job pass: every stored user read back, a page at a time.
      photoJobPassPageMs: await passPageMs(store),
      ...(await queueCosts(azurite.connectionString, chunks(stored, MAX_USERS_PER_JOB))),
    };
    console.log(JSON.stringify(figures));
  } finally {
    await azurite.stop();
  }
}

/** The mean time of one page of the photo-job pass, over the whole pass. */
async function passPageMs(store: IdentityStore): Promise<number> {
  const started = process.hrtime.bigint();
  let pages = 0;
  for await (const page of store.listPhotoJobUsers({ since: new Date(0), full: false, whole: true }))
    if (page.length > 0) pages++;
  return msEach(started, pages);
}

/** A run's photo jobs sent one at a time, then received 16 at a time and deleted, as a host does. */
async function queueCosts(
  connectionString: string,
  groups: string[][],
): Promise<{ jobs: number; queueSendMs: number; queueReceiveAndDeleteMs: number }> {
  const client = new QueueClient(connectionString, 'bench-photo-jobs');
  await client.create();
  const queue = new JobQueue<PhotoJob>(client);
  const runId = '20261204T000000Z-abcdef';
  const queueSendMs = await meanMs(groups, (userIds) =>
    queue.send({
      runId,
      jobId: userIds[userIds.length - 1],
      userIds,
      // As big as a steady job's state: a hash, an ETag, a time and the last outcome per user.
      stored: Object.fromEntries(
        userIds.map((userId) => [
          userId,
          {
            photoSha256: 'a'.repeat(64),
            photoEtag: `"${userId}"`,
            photoVerifiedAt: new Date().toISOString(),
            lastResult: 'unchanged',
            lastRunId: runId,
          },
        ]),
      ),
    }),
  );
  const started = process.hrtime.bigint();
  let received = 0;
  while (received < groups.length) {
    const batch = await client.receiveMessages({ numberOfMessages: 16, visibilityTimeout: 60 });
    await Promise.all(
      batch.receivedMessageItems.map((message) =>
        client.deleteMessage(message.messageId, message.popReceipt),
      ),
    );
    received += batch.receivedMessageItems.length;
  }
  const queueReceiveAndDeleteMs = msEach(started, groups.length);
  return { jobs: groups.length, queueSendMs, queueReceiveAndDeleteMs };
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
