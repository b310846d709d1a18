import { DEFAULT_SETTINGS } from '../../src/domain/SyncSettings';
import type { PhotoJob } from '../../src/domain/PhotoJob';
import { emptyCounts } from '../../src/domain/PhotoOutcome';
import type { Run } from '../../src/domain/Run';
import type { DirectoryUser } from '../../src/graph/DirectoryUser';
import type { DirectoryChanges } from '../../src/graph/listUserChanges';
import type { ListingKnowledge, PhotoJobUser } from '../../src/storage/IdentityStore';
import { planRun, type PlannerDeps } from '../../src/sync/planRun';
import { SyncLog } from '../../src/sync/SyncLog';

/**
 * The planner's memory stays flat because both of its passes consume a page at a time: one page
 * of the directory is fetched ahead while the one before is stored, and a page of stored ids is
 * on the queue as photo jobs before the next is read. What it keeps between pages is under a job.
 */

const quiet = new SyncLog({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});
const RUN = { runId: '20261126T200412Z-abcdef', photoSyncActive: true };

function user(n: number): DirectoryUser {
  const id = `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;
  return {
    id,
    displayName: null,
    givenName: null,
    surname: null,
    mail: null,
    userPrincipalName: null,
    accountEnabled: true,
  };
}

/** What the table gives back of a user's photo state: distinct per user, so a mix-up shows. */
const storedStateOf = (userId: string): PhotoJobUser['stored'] => ({
  photoEtag: `"etag-${userId}"`,
  lastResult: 'unchanged',
});

/** A planner whose stores record what it asks of them, in order; `stored` pages are what the table gives back. */
function recordingDeps(
  pages: DirectoryUser[][],
  stored: string[][],
  since: Date[] = [],
  departedIds = new Set<string>(),
) {
  const events: string[] = [];
  const departedAsked: boolean[] = [];
  const planned = { users: 0, jobs: 0 };
  const sent: PhotoJob[] = [];
  async function* listUserChanges(): AsyncGenerator<DirectoryChanges> {
    for (const [index, page] of pages.entries()) {
      events.push(`fetch page ${index + 1}`);
      yield { users: page, removed: [], ...(index === pages.length - 1 ? { deltaLink: 'next' } : {}) };
    }
  }
  async function* listPhotoJobUsers(listing: ListingKnowledge): AsyncGenerator<PhotoJobUser[]> {
    since.push(listing.since);
    departedAsked.push(listing.whole);
    for (const [index, page] of stored.entries()) {
      events.push(`read ids ${index + 1}`);
      yield page.map((userId) => ({
        userId,
        departed: departedIds.has(userId),
        departureRecorded: false,
        hasPhoto: departedIds.has(userId),
        stored: storedStateOf(userId),
      }));
    }
  }
  const deps: PlannerDeps = {
    listUserChanges,
    deltaLinks: { read: async () => undefined, save: async () => undefined },
    listMemberPages: () => {
      throw new Error('no scope group is set');
    },
    settings: { read: async () => ({ ...DEFAULT_SETTINGS, etag: '*', updatedAt: null, updatedBy: null }) },
    scope: {
      digests: async () => undefined,
      saveDigests: async () => undefined,
      bucketMembers: async () => [],
      changeMembers: async () => undefined,
      members: async function* () {},
    },
    removalLimit: 500,
    retention: {
      events: { pruneOlderThan: async () => 0 },
      settings: { pruneHistoryOlderThan: async () => 0 },
      runs: { pruneRunsStartedBefore: async () => ({ runs: 0, markers: 0 }) },
      historyDays: 90,
    },
    identities: {
      upsertCoreAttributes: async (users: readonly DirectoryUser[]) =>
        void events.push(`store ${users.length} users`),
      markDeparted: async (userIds: readonly string[]) => userIds.length,
      listPhotoJobUsers,
    },
    runs: {
      addPlanned: async (_runId: string, users: number, jobs: number) => {
        planned.users += users;
        planned.jobs += jobs;
      },
      finishPlanning: async () => undefined,
      pruneJobMarkers: async () => ({ runs: 0, markers: 0 }),
    },
    photoJobs: {
      send: async (job: PhotoJob) => {
        // A queue round trip: a planner that did not wait for it would read the next page meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 2));
        sent.push(job);
        events.push(`send job ${job.jobId}`);
      },
    },
    changes: { prune: async () => 0 },
    historyDays: 90,
    log: quiet,
  };
  return { deps, events, sent, departedAsked, planned };
}

test('page k+2 of the directory is asked for only after page k is stored; jobs follow the listing', async () => {
  const pages = [0, 1, 2].map((page) => Array.from({ length: 40 }, (_, n) => user(page * 40 + n)));
  const ids = pages.flat().map((u) => u.id);
  const { deps, events } = recordingDeps(pages, [ids]);

  await planRun(RUN, deps);

  // A job is named after its greatest user id, which in table order is its last.
  const job = (n: number): string => `send job ${ids[n * 20 - 1]}`;
  // One page ahead: page k+1 is on its way while page k is stored, never two.
  expect(events).toEqual([
    'fetch page 1',
    'fetch page 2',
    'store 40 users',
    'fetch page 3',
    'store 40 users',
    'store 40 users',
    'read ids 1',
    ...[1, 2, 3, 4, 5, 6].map(job),
  ]);
});

test('photo jobs are runs of 20 consecutive stored ids; a page of ids is enqueued before the next is read', async () => {
  // 100 pages of 999 ids: no page ends on a job's boundary.
  const stored = Array.from({ length: 100 }, (_, page) =>
    Array.from({ length: 999 }, (_, n) => user(page * 999 + n).id),
  );
  const { deps, events, sent } = recordingDeps([], stored);

  await planRun(RUN, deps);

  expect(sent.map((job) => job.userIds).flat()).toEqual(stored.flat());
  expect(sent.slice(0, -1).every((job) => job.userIds.length === 20)).toBe(true);
  expect(sent).toHaveLength(Math.ceil(99_900 / 20));
  // Before page k+1 is read, every whole job that page k completes is on the queue: fewer than 20 ids wait.
  let sentSoFar = 0;
  for (const event of events) {
    if (event.startsWith('send job')) sentSoFar++;
    const page = /^read ids (\d+)$/.exec(event);
    if (page !== null && page[1] !== '1')
      expect(99_900 - (100 - Number(page[1]) + 1) * 999 - sentSoFar * 20).toBeLessThan(20);
  }
});

test('the ids read back are those stored since this planning began, by its own clock', async () => {
  const clock = [new Date('2026-12-01T10:00:00.000Z'), new Date('2026-12-01T10:00:01.000Z')];
  const since: Date[] = [];
  const { deps } = recordingDeps([[user(1)]], [[user(1).id]], since);

  await planRun(RUN, { ...deps, now: () => clock.shift() ?? new Date('2026-12-01T10:00:02.000Z') });

  expect(since).toEqual([new Date('2026-12-01T10:00:00.000Z')]);
});

test('with photo sync off, nothing is read back and no job is sent', async () => {
  const { deps, events, sent } = recordingDeps([[user(1), user(2)]], [[user(1).id, user(2).id]]);

  await planRun({ ...RUN, photoSyncActive: false }, deps);

  expect(events).toEqual(['fetch page 1', 'store 2 users']);
  expect(sent).toHaveLength(0);
});

test("pruning old runs' job markers comes after planning, and its failure is a warning that leaves the run planned", async () => {
  const { deps, sent } = recordingDeps([[user(1), user(2)]], [[user(1).id, user(2).id]]);
  const lines: Array<{ level: string; entry: Record<string, unknown> }> = [];
  const at = (level: string) => (line: unknown) =>
    void lines.push({ level, entry: JSON.parse(String(line)) as Record<string, unknown> });
  const finished: Run = {
    ...RUN,
    status: 'completed',
    trigger: 'timer',
    startedAt: '2026-12-01T10:00:00.000Z',
    finishedAt: '2026-12-01T10:00:01.000Z',
    lastProgressAt: '2026-12-01T10:00:01.000Z',
    users: 2,
    skipped: 0,
    warnings: [],
    photos: emptyCounts(),
    jobs: { total: 1, done: 1, poisoned: 0 },
    error: null,
  };
  let planningFinished = false;

  const planned = await planRun(RUN, {
    ...deps,
    runs: {
      addPlanned: async () => undefined,
      finishPlanning: async () => ((planningFinished = true), finished),
      pruneJobMarkers: async () => {
        expect(planningFinished).toBe(true);
        throw new Error('storage unreachable');
      },
    },
    log: new SyncLog({ debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }),
  });

  expect(planned).toBe(finished);
  expect(sent.map((job) => job.userIds)).toEqual([[user(1).id, user(2).id]]);
  expect(lines.filter((line) => line.level === 'warn' || line.level === 'error')).toEqual([
    {
      level: 'warn',
      entry: { event: 'jobMarkersPruneFailed', runId: RUN.runId, reason: 'storage unreachable' },
    },
  ]);
});

test("after a whole listing, stored users it no longer lists who have a photo get a removal job (departed) and count among the run's users", async () => {
  const [listed1, departed, listed2] = [user(1), user(2), user(3)];
  const { deps, sent, departedAsked, planned } = recordingDeps(
    [[listed1, listed2]],
    [[listed1.id, departed.id, listed2.id]],
    [],
    new Set([departed.id]),
  );

  await planRun(RUN, deps);

  expect(departedAsked).toEqual([true]);
  expect(sent.map((job) => [job.userIds, job.removal])).toEqual([
    [[listed1.id, listed2.id], undefined],
    [[departed.id], 'departed'],
  ]);
  expect(planned).toEqual({ users: 3, jobs: 2 });
  // A removal job reads its users' records when it runs: it carries no state.
  expect(sent[1].stored).toBeUndefined();
});

test("a check job carries each of its users' photo state as the pass read it, so its worker reads no record", async () => {
  const stored = [Array.from({ length: 45 }, (_, n) => user(n).id)];
  const { deps, sent } = recordingDeps([], stored);

  await planRun(RUN, deps);

  expect(sent).toHaveLength(3);
  for (const job of sent)
    expect(job.stored).toEqual(Object.fromEntries(job.userIds.map((id) => [id, storedStateOf(id)])));
});

test('after a listing that broke off, users it did not list are not asked for', async () => {
  const { deps, departedAsked } = recordingDeps([], [[user(1).id]]);
  async function* brokenListing(): AsyncGenerator<DirectoryChanges> {
    yield { users: [user(1)], removed: [] };
    throw new Error('socket hang up');
  }

  await planRun(RUN, { ...deps, listUserChanges: brokenListing });

  expect(departedAsked).toEqual([false]);
});
