import type { Run } from '../domain/Run';
import type { RunError } from '../domain/RunError';
import type { RunStore } from '../storage/RunStore';
import type { SyncLog } from './SyncLog';

/**
 * The one log line of a planning that failed: the run's own error code and message, and what
 * caused it (`cause`: a Graph or storage detail) when there is more to say.
 */
export function logPlanningFailed(log: SyncLog, runId: string, error: RunError, cause?: string): void {
  log.write('error', 'runPlanningFailed', { runId, errorCode: error.code, reason: error.message, cause });
}

/**
 * Records a planning that cannot go on: the run is closed as `failed` (once the photo jobs it did
 * enqueue are done), the failure logged, and the run's summary too when this finished it.
 */
export async function failPlanning(
  deps: { runs: Pick<RunStore, 'finishPlanning'>; log: SyncLog },
  runId: string,
  error: RunError,
  cause?: string,
): Promise<Run | undefined> {
  logPlanningFailed(deps.log, runId, error, cause);
  const finished = await deps.runs.finishPlanning(runId, error);
  if (finished !== undefined) deps.log.runSummary(finished);
  return finished;
}
