import { SyncProgress } from '../../dev/cli/SyncProgress';
import type { Run } from '../../src/domain/Run';

/** What `npm run sync` writes its progress to when stderr is a log, not a terminal. */
function plainStream(): { stream: NodeJS.WriteStream; lines: () => string[] } {
  let text = '';
  const stream = {
    isTTY: false,
    write: (chunk: string) => {
      text += chunk;
      return true;
    },
  } as unknown as NodeJS.WriteStream;
  return { stream, lines: () => text.split('\n').filter((line) => line !== '') };
}

function run(progress: { users: number; total: number | null; done: number; status?: Run['status'] }): Run {
  const at = '2026-12-03T12:00:00.000Z';
  return {
    runId: '20261203T120000.000Z-abcdef',
    status: progress.status ?? 'running',
    trigger: 'manual',
    startedAt: at,
    finishedAt: progress.status === 'completed' ? at : null,
    lastProgressAt: at,
    photoSyncActive: true,
    users: progress.users,
    skipped: 0,
    photos: { added: 0, updated: 0, unchanged: 0, removed: 0, noPhoto: 0, failed: 0 },
    jobs: { total: progress.total, done: progress.done, poisoned: 0 },
    warnings: [],
    error: null,
  };
}

test('a listing faster than the line interval still shows how many users it listed', () => {
  const { stream, lines } = plainStream();
  const progress = new SyncProgress(stream);

  progress.show(run({ users: 0, total: null, done: 0 }));
  progress.show(run({ users: 300, total: null, done: 0 }));
  progress.show(run({ users: 300, total: 15, done: 0 }));
  progress.show(run({ users: 300, total: 15, done: 15, status: 'completed' }));

  expect(lines()).toEqual([
    'Listing users: 0 users listed, 0 photo jobs done',
    'Listing users: 300 users listed, 0 photo jobs done',
    'Photo jobs: 0/15 done, 300 users',
    'Photo jobs: 15/15 done, 300 users',
  ]);
});
