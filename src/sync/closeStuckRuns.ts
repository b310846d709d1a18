import type { Run } from '../domain/Run';
import { judgeStuckRun } from '../domain/StuckRun';
import type { RunClosing, RunStore } from '../storage/RunStore';
import type { SyncLog } from './SyncLog';

export interface StuckRunDeps {
  runs: Pick<RunStore, 'list' | 'closeIfStuck'>;
  log: SyncLog;
}

/**
 * Runs looked at by each check. Only one run at a time holds the run slot, so a run in progress is
 * among the newest; a few more catch runs left running before the slot existed.
 */
const RECENT_RUNS = 10;

/**
 * Closes `runId` as failed (`interrupted`) if it still has made no progress for too long, judged
 * again on the stored run as it is closed: `finished` when it had finished before, `progressing`
 * when it made progress since.
 */
export async function closeStuckRun(
  runId: string,
  deps: StuckRunDeps,
  now: Date,
): Promise<RunClosing['kind']> {
  const closing = await deps.runs.closeIfStuck(runId, (run) => {
    const stuck = judgeStuckRun(run, now);
    return stuck.kind === 'stuck' ? stuck.error : undefined;
  });
  if (closing.kind === 'closed') logClosed(deps.log, closing.run, now);
  return closing.kind;
}

/** The check of `runCheck` (every few minutes): every recent run that stopped is closed. */
export async function closeStuckRuns(deps: StuckRunDeps, now: Date): Promise<{ closed: number }> {
  let closed = 0;
  for (const run of await deps.runs.list(RECENT_RUNS))
    if (judgeStuckRun(run, now).kind === 'stuck' && (await closeStuckRun(run.runId, deps, now)) === 'closed')
      closed++;
  return { closed };
}

function logClosed(log: SyncLog, run: Run, now: Date): void {
  log.write('warn', 'runInterrupted', {
    runId: run.runId,
    lastProgressAt: run.lastProgressAt,
    idleMinutes: Math.floor((now.getTime() - Date.parse(run.lastProgressAt)) / 60_000),
    jobs: run.jobs,
    errorCode: run.error?.code,
    reason: run.error?.message,
  });
  log.runSummary(run);
}
