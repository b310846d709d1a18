import { emptyCounts, PHOTO_OUTCOMES, type OutcomeCounts } from '../domain/PhotoOutcome';
import { isRunFinished, type Run, type RunProgress, type RunTrigger } from '../domain/Run';

/**
 * The rows of a run's partition: one run entity, holding the counters, and a marker row per photo
 * job counted.
 */
export const RUN_ROW = 'run';

/** Job markers are `job-<jobId>`; '.' follows '-', so `ge 'job-' and lt 'job.'` is exactly them. */
export const JOB_MARKER_ROWS = { from: 'job-', before: 'job.' } as const;

export function jobMarkerRow(jobId: string): string {
  return `${JOB_MARKER_ROWS.from}${jobId}`;
}

export type RunEntity = {
  partitionKey: string;
  rowKey: string;
  etag?: string;
  trigger: RunTrigger;
  startedAt: string;
  finishedAt: string;
  photoSyncActive: boolean;
  users: number;
  planningDone: boolean;
  planningFailed: boolean;
  jobsTotal: number;
  jobsDone: number;
  jobsPoisoned: number;
  errorCode: string;
  errorMessage: string;
} & OutcomeCounts;

export function newRunEntity(
  runId: string,
  trigger: RunTrigger,
  photoSyncActive: boolean,
  startedAt: Date,
): RunEntity {
  return {
    partitionKey: runId,
    rowKey: RUN_ROW,
    trigger,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    photoSyncActive,
    users: 0,
    planningDone: false,
    planningFailed: false,
    jobsTotal: 0,
    jobsDone: 0,
    jobsPoisoned: 0,
    errorCode: '',
    errorMessage: '',
    ...emptyCounts(),
  };
}

export function progressOf(entity: RunEntity): RunProgress {
  const photos = emptyCounts();
  for (const outcome of PHOTO_OUTCOMES) photos[outcome] = entity[outcome] ?? 0;
  return {
    planningDone: entity.planningDone,
    planningFailed: entity.planningFailed,
    jobsTotal: entity.jobsTotal,
    jobsDone: entity.jobsDone,
    photos,
  };
}

export function toRun(entity: RunEntity): Run {
  const progress = progressOf(entity);
  const finished = isRunFinished(progress);
  return {
    runId: entity.partitionKey,
    status: !finished ? 'running' : progress.planningFailed ? 'failed' : 'completed',
    trigger: entity.trigger,
    startedAt: entity.startedAt,
    finishedAt: finished && entity.finishedAt ? entity.finishedAt : null,
    photoSyncActive: entity.photoSyncActive,
    users: entity.users,
    photos: progress.photos,
    jobs: {
      total: progress.planningDone ? progress.jobsTotal : null,
      done: progress.jobsDone,
      poisoned: entity.jobsPoisoned ?? 0,
    },
    error: entity.errorCode ? { code: entity.errorCode, message: entity.errorMessage } : null,
  };
}
