import type { Run } from '../domain/Run';

/**
 * Planning found its run finished under it: it was closed as interrupted while this planner went
 * without progress for too long. A finished run takes no more users or jobs, so planning stops.
 */
export class RunFinishedError extends Error {
  constructor(readonly run: Run) {
    super(`run ${run.runId} is ${run.status} (${run.error?.code ?? 'no error'}): it takes no more planning`);
    this.name = 'RunFinishedError';
  }
}
