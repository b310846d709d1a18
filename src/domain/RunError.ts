/**
 * Why a run failed. The codes are stable: they are stored on the run, returned by the API
 * (`error.code`) and logged as `errorCode` of `runPlanningFailed`. Add a new code here, with a line
 * saying when it happens.
 */
export const RUN_ERROR_CODES = [
  /** Listing the directory in Microsoft Graph broke off; the users it did not list were left as they are. */
  'listUsersFailed',
  /** Storage failed under the planner, or planning failed on every delivery of its run request. */
  'planningFailed',
  /** Planning stopped midway (its host died, or `npm run sync` was interrupted) and is not repeated. */
  'planningInterrupted',
  /**
   * The run made no progress for longer than a photo job's queue lease (its host stopped, a message
   * was lost): closed with the outcomes it had counted (src/domain/StuckRun.ts).
   */
  'interrupted',
] as const;

export type RunErrorCode = (typeof RUN_ERROR_CODES)[number];

export interface RunError {
  code: RunErrorCode;
  message: string;
}
