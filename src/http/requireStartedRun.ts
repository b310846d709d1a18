import type { Run } from '../domain/Run';
import type { RunStart } from '../sync/startRun';
import { HttpError } from './HttpError';

/** Where a run is read: the `Location` of a run started, or of the run in progress. */
export function runLocation(runId: string): string {
  return `/api/runs/${runId}`;
}

/**
 * The run a start opened; a run in progress is 409 `runInProgress`, with its `runId` and
 * `Location` so the caller can follow it rather than start another.
 */
export function requireStartedRun(start: RunStart): Run {
  if (start.kind === 'started') return start.run;
  throw new HttpError(
    409,
    'runInProgress',
    `Run ${start.runId} is in progress; only one run at a time. Follow it at ${runLocation(start.runId)}, and start another when it has finished.`,
    { Location: runLocation(start.runId) },
    { runId: start.runId },
  );
}
