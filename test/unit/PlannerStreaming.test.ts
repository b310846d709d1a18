import type { PhotoJob } from '../../src/domain/PhotoJob';
import type { DirectoryUser } from '../../src/graph/DirectoryUser';
import type { IdentityStore } from '../../src/storage/IdentityStore';
import type { JobQueue } from '../../src/storage/JobQueue';
import type { RunStore } from '../../src/storage/RunStore';
import { JobBuffer } from '../../src/sync/JobBuffer';
import { planRun } from '../../src/sync/Planner';
import { SyncLog } from '../../src/sync/SyncLog';

/**
 * The planner's memory stays flat because it consumes the directory one page at a time: a page is
 * stored and its full photo jobs are on the queue before the next page is asked for, and what it
 * keeps between pages is bounded by the partitions, not by the tenant.
 */

const quiet = new SyncLog({ debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined });
const RUN = { runId: '20261126T200412Z-abcdef', photoSyncActive: true };

/** Object ids whose first hex digit — the identity partition — is `partition`. */
function user(partition: string, n: number): DirectoryUser {
  const id = `${partition}${String(n).padStart(7, '0')}-0000-4000-8000-000000000000`;
  return { id, displayName: null, givenName: null, surname: null, mail: null, userPrincipalName: null, accountEnabled: true };
}

function recordingDeps(pages: DirectoryUser[][]) {
  const events: string[] = [];
  const sent: PhotoJob[] = [];
  async function* listUserPages(): AsyncGenerator<DirectoryUser[]> {
    for (const [index, page] of pages.entries()) {
      events.push(`fetch page ${index + 1}`);
      yield page;
    }
  }
  const deps = {
    listUserPages,
    identities: { upsertCoreAttributes: async (users: DirectoryUser[]) => void events.push(`store ${users.length} users`) } as unknown as IdentityStore,
    runs: {
      addPlanned: async () => undefined,
      finishPlanning: async () => undefined,
    } as unknown as RunStore,
    photoJobs: {
      send: async (job: PhotoJob) => {
        // A queue round trip: a planner that did not wait for it would ask for the next page meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 2));
        sent.push(job);
        events.push(`send job ${job.jobId}`);
      },
    } as unknown as JobQueue<PhotoJob>,
    log: quiet,
  };
  return { deps, events, sent };
}

test('page k+1 is asked for only after page k is stored and its full jobs are enqueued', async () => {
  // 40 users of one partition per page: two full jobs each.
  const pages = [1, 2, 3].map((page) => Array.from({ length: 40 }, (_, n) => user('a', page * 100 + n)));
  const { deps, events, sent } = recordingDeps(pages);

  await planRun(RUN, deps);

  expect(events).toEqual([
    'fetch page 1', 'store 40 users', 'send job 1', 'send job 2',
    'fetch page 2', 'store 40 users', 'send job 3', 'send job 4',
    'fetch page 3', 'store 40 users', 'send job 5', 'send job 6',
  ]);
  expect(sent.map((job) => job.userIds)).toEqual(pages.flatMap((page) => [page.slice(0, 20), page.slice(20)].map((users) => users.map((u) => u.id))));
});

test('users left over between pages are bounded by the partitions, however large the tenant', () => {
  const buffer = new JobBuffer();
  const partitions = '0123456789abcdef';
  let jobs = 0;
  for (let page = 0; page < 100; page++) {
    const users = Array.from({ length: 999 }, (_, n) => user(partitions[(page * 999 + n) % 16], page * 1000 + n).id);
    jobs += buffer.add(users).length;
  }
  const rest = buffer.flush();
  // At most 19 ids wait per partition: 99,900 users leave at most 16 × 19 behind.
  expect(rest.flat().length).toBeLessThanOrEqual(16 * 19);
  expect(jobs * 20 + rest.flat().length).toBe(99_900);
});
