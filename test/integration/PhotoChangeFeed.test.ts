import { TableClient } from '@azure/data-tables';
import type { HttpResponseInit } from '@azure/functions';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { usersWithPhoto, usersWithoutPhoto } from '../helpers/Invariants';
import { processEachTwiceAtOnce, queuedPhotoJobs } from '../helpers/PhotoJobs';
import { photoChangesHandler } from '../../src/functions/photoChanges';
import { encodeChangeCursor } from '../../src/domain/ChangeCursor';
import { PhotoChangeFeed, type PhotoChange } from '../../src/storage/PhotoChangeFeed';

/**
 * `GET /api/photos/changes` through the real handler, fed by real runs against Azurite and the
 * Graph simulator: ordering and cursors across runs, concurrent jobs and writers, repeated
 * deliveries, retention and the 410 for a cursor that would miss changes.
 */

interface ChangeBody {
  userId: string;
  result: 'added' | 'updated' | 'removed';
  sha256: string | null;
  at: string;
}
interface FeedBody {
  changes: ChangeBody[];
  next: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
let t: TestEnvironment;

const getChanges = (query = '') =>
  t.http(photoChangesHandler, { method: 'GET', path: `photos/changes${query}` });

async function page(query = ''): Promise<FeedBody> {
  const response = await getChanges(query);
  if (response.status !== 200)
    throw new Error(`feed answered ${response.status}: ${JSON.stringify(response.jsonBody)}`);
  return response.jsonBody as FeedBody;
}

/** Follows `next` until a page is empty, as a consumer polling would; returns everything and the last cursor. */
async function follow(since: string | undefined, top = 7): Promise<{ changes: ChangeBody[]; next: string }> {
  const changes: ChangeBody[] = [];
  let cursor = since;
  for (;;) {
    const body = await page(
      `?top=${top}${cursor === undefined ? '' : `&since=${encodeURIComponent(cursor)}`}`,
    );
    changes.push(...body.changes);
    cursor = body.next;
    if (body.changes.length === 0) return { changes, next: cursor };
  }
}

function expectError(response: HttpResponseInit, status: number, code: string): void {
  expect({ status: response.status, body: response.jsonBody }).toEqual({
    status,
    body: { error: { code, message: expect.any(String) } },
  });
}

async function recordSha(userId: string): Promise<string | null> {
  return (await t.services.identities.get(userId))?.photoSha256 || null;
}

/** The cursor a consumer that started before every test keeps. */
let firstCursor: string;
/** Changes stored 100 days ago: older than the 90 days kept. */
const ANCIENT = 3;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 40 });
});

afterAll(async () => {
  await t.stop();
});

describe('an empty feed', () => {
  test('lists nothing, and its next gives nothing either', async () => {
    const first = await page();
    expect(first.changes).toEqual([]);
    expect(typeof first.next).toBe('string');
    firstCursor = first.next;
    expect((await page(`?since=${first.next}`)).changes).toEqual([]);
  });
});

describe('retention', () => {
  test(`a run deletes changes older than PHOTO_HISTORY_DAYS; a cursor from before them → 410`, async () => {
    const at = new Date(Date.now() - 100 * DAY_MS).toISOString();
    await t.services.changes.append(
      usersWithPhoto(t)
        .slice(0, ANCIENT)
        .map((userId): PhotoChange => ({ userId, result: 'added', sha256: 'a'.repeat(64), at })),
    );
    expect((await page(`?since=${firstCursor}`)).changes).toHaveLength(ANCIENT);

    // Photo sync is still off: the run lists users and prunes, and stores no photo.
    await t.runSync();
    expect(t.logEvents('photoChangesPruned')).toEqual([expect.objectContaining({ changes: ANCIENT })]);
    expect((await page()).changes).toEqual([]);
    const lost = await getChanges(`?since=${firstCursor}`);
    expectError(lost, 410, 'cursorExpired');
    expect((lost.jsonBody as { error: { message: string } }).error.message).toMatch(/without since/);
  });

  test('a cursor handed out longer ago than PHOTO_HISTORY_DAYS → 410, one just inside is fine', async () => {
    const old = encodeChangeCursor({ seq: ANCIENT, issuedAt: new Date(Date.now() - 91 * DAY_MS) });
    expectError(await getChanges(`?since=${old}`), 410, 'cursorExpired');
    const recent = encodeChangeCursor({ seq: ANCIENT, issuedAt: new Date(Date.now() - 89 * DAY_MS) });
    expect((await page(`?since=${recent}`)).changes).toEqual([]);
  });

  test('a cursor past the end of the feed (a feed that was reset) → 410', async () => {
    const ahead = encodeChangeCursor({ seq: ANCIENT + 50, issuedAt: new Date() });
    expectError(await getChanges(`?since=${ahead}`), 410, 'cursorExpired');
  });

  test('pruning is bounded: at most the limit per call, oldest first', async () => {
    const table = TableClient.fromConnectionString(t.azurite.connectionString, 'PruneBound', {
      allowInsecureConnection: true,
    });
    await table.createTable();
    const feed = new PhotoChangeFeed(table);
    const old = (day: number) => new Date(Date.now() - day * DAY_MS).toISOString();
    await feed.append(
      [100, 99, 98, 97, 10].map((day, index) => ({
        userId: `user-${index}`,
        result: 'removed' as const,
        sha256: null,
        at: old(day),
      })),
    );
    const cutoff = new Date(Date.now() - 90 * DAY_MS);
    expect(await feed.prune(cutoff, 3)).toBe(3);
    expect((await feed.read(undefined, 10)).changes.map((change) => change.userId)).toEqual([
      'user-3',
      'user-4',
    ]);
    expect(await feed.prune(cutoff, 3)).toBe(1);
    expect(await feed.prune(cutoff, 3)).toBe(0);
    expect((await feed.read(undefined, 10)).changes.map((change) => change.userId)).toEqual(['user-4']);
  });
});

describe('across runs', () => {
  let afterFirstRun: string;

  test('the first run with photo sync on: one added per stored photo, with its hash, in one order', async () => {
    const start = (await page()).next;
    await t.setSettings(true, true);
    const run = await t.runSync();
    const { changes, next } = await follow(start);
    afterFirstRun = next;
    expect(changes).toHaveLength(run.photos.added);
    expect(new Set(changes.map((change) => change.userId)).size).toBe(changes.length);
    for (const change of changes) {
      expect(change.result).toBe('added');
      expect(change.sha256).toBe(await recordSha(change.userId));
      expect(Date.parse(change.at)).not.toBeNaN();
    }
    // Paging does not change the order: small pages and one big page agree.
    expect((await page(`?since=${start}&top=1000`)).changes).toEqual(changes);
    // Nothing new: empty, and the cursor stays good.
    const idle = await page(`?since=${next}`);
    expect(idle.changes).toEqual([]);
    expect((await page(`?since=${idle.next}`)).changes).toEqual([]);
  });

  test('the next run: updated with the new hash, removed with sha256 null, added, and nothing unchanged', async () => {
    const withPhoto = usersWithPhoto(t);
    const updated = withPhoto.slice(0, 4);
    const removed = withPhoto[4];
    const added = usersWithoutPhoto(t)[0];
    for (const userId of updated) t.tenant.changePhoto(userId);
    t.tenant.reuploadPhoto(withPhoto[5]);
    t.tenant.removePhoto(removed);
    t.tenant.addPhoto(added);
    const run = await t.runSync();
    expect(run.photos).toMatchObject({ updated: 4, removed: 1, added: 1 });

    const { changes } = await follow(afterFirstRun, 2);
    const byUser = new Map(changes.map((change) => [change.userId, change]));
    expect(changes).toHaveLength(6);
    for (const userId of updated)
      expect(byUser.get(userId)).toMatchObject({ result: 'updated', sha256: await recordSha(userId) });
    expect(byUser.get(removed)).toMatchObject({ result: 'removed', sha256: null });
    expect(byUser.get(added)).toMatchObject({ result: 'added', sha256: await recordSha(added) });
    // A consumer that started at the very beginning sees run 1's changes, then run 2's.
    const all = (await follow(undefined, 1000)).changes;
    expect(all.slice(-6)).toEqual(changes);
    expect(all.findIndex((change) => change.userId === updated[0] && change.result === 'added')).toBeLessThan(
      all.findIndex((change) => change.userId === updated[0] && change.result === 'updated'),
    );
  });

  test('a job delivered again, and two workers on one job: changes may repeat, never out of order', async () => {
    const start = (await page()).next;
    const changed = usersWithPhoto(t).slice(0, 6);
    for (const userId of changed) t.tenant.changePhoto(userId);
    const runId = await t.planOnly();
    const jobs = await queuedPhotoJobs(t);
    expect(jobs.length).toBeGreaterThan(1);
    // Two workers hold every job at once; the queue then delivers each a third time.
    await processEachTwiceAtOnce(t, jobs);
    await t.drainQueues();
    expect((await t.services.runs.get(runId))?.photos.updated).toBe(changed.length);

    const { changes } = await follow(start);
    expect(new Set(changes.map((change) => change.userId))).toEqual(new Set(changed));
    for (const userId of changed) {
      const mine = changes.filter((change) => change.userId === userId);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      // Every entry of a user names the photo now stored: a repeat never brings back an older one.
      for (const change of mine)
        expect(change).toMatchObject({ result: 'updated', sha256: await recordSha(userId) });
    }
  });
});

describe('concurrent writers', () => {
  test('two processes appending at once while a consumer polls: every change once, each writer’s order kept, nothing missed', async () => {
    const start = (await page()).next;
    // A second process: its own services, so its own feed and group commit, on the same table.
    const other = new PhotoChangeFeed(
      TableClient.fromConnectionString(t.azurite.connectionString, 'PhotoSyncChanges', {
        allowInsecureConnection: true,
      }),
    );
    const feeds = { a: t.services.changes, b: other };
    const at = new Date().toISOString();
    const writes = (['a', 'b'] as const).flatMap((writer) =>
      Array.from({ length: 30 }, (_, job) =>
        feeds[writer].append(
          Array.from({ length: 1 + (job % 4) }, (_, n): PhotoChange => ({
            userId: `${writer}-${String(job).padStart(2, '0')}-${n}`,
            result: 'updated',
            sha256: 'b'.repeat(64),
            at,
          })),
        ),
      ),
    );
    let writing = true;
    const done = Promise.all(writes).finally(() => {
      writing = false;
    });
    // The consumer keeps polling while the writers race; then one last poll after they are done.
    const seen: ChangeBody[] = [];
    let cursor = start;
    while (writing) {
      const body = await page(`?since=${cursor}&top=5`);
      seen.push(...body.changes);
      cursor = body.next;
    }
    await done;
    const rest = await follow(cursor, 5);
    seen.push(...rest.changes);

    const expected = 2 * [...Array(30).keys()].reduce((sum, job) => sum + 1 + (job % 4), 0);
    expect(seen).toHaveLength(expected);
    expect(new Set(seen.map((change) => change.userId)).size).toBe(expected);
    for (const writer of ['a', 'b']) {
      const order = seen.map((change) => change.userId).filter((userId) => userId.startsWith(`${writer}-`));
      expect(order).toEqual([...order].sort());
    }
    expect((await follow(start, 1000)).changes).toEqual(seen);
  });
});

describe('refused queries', () => {
  test.each([['?top=0'], ['?top=1001'], ['?top=abc'], ['?top=10.5']])(
    '%s → 400 invalidTop',
    async (query) => {
      expectError(await getChanges(query), 400, 'invalidTop');
    },
  );

  test('top=1000 is the most', async () => {
    expect((await getChanges('?top=1000')).status).toBe(200);
  });

  test.each([
    ['?since=garbage'],
    ['?since=' + Buffer.from('{"v":1,"seq":-1,"at":1}').toString('base64url')],
    ['?since=' + Buffer.from('{"v":2,"seq":1,"at":1}').toString('base64url')],
    ['?since=' + Buffer.from('[1]').toString('base64url')],
    ['?since='],
  ])('%s → 400 invalidSince', async (query) => {
    expectError(await getChanges(query), 400, 'invalidSince');
  });

  test('since given twice → 400', async () => {
    const { next } = await page();
    expectError(await getChanges(`?since=${next}&since=${next}`), 400, 'invalidSince');
  });
});
