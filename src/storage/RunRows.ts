import { z } from 'zod';
import { emptyCounts, PHOTO_OUTCOMES, type OutcomeCounts } from '../domain/PhotoOutcome';
import { isRunFinished, RUN_TRIGGERS, type Run, type RunTrigger } from '../domain/Run';
import { RUN_ERROR_CODES } from '../domain/RunError';
import { RUN_WARNING_CODES, type RunWarning } from '../domain/RunWarning';

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

/** Counters added after the first runs were stored read as 0 on those runs. */
const counter = z.number().int().nonnegative().default(0);

const RunEntitySchema = z.object({
  partitionKey: z.string(),
  rowKey: z.string(),
  etag: z.string().optional(),
  trigger: z.enum(RUN_TRIGGERS),
  startedAt: z.string(),
  finishedAt: z.string(),
  photoSyncActive: z.boolean(),
  users: counter,
  planningDone: z.boolean(),
  planningFailed: z.boolean(),
  jobsTotal: counter,
  jobsDone: counter,
  jobsPoisoned: counter,
  errorCode: z.union([z.literal(''), z.enum(RUN_ERROR_CODES)]),
  errorMessage: z.string(),
  added: counter,
  updated: counter,
  unchanged: counter,
  removed: counter,
  noPhoto: counter,
  failed: counter,
  skipped: counter,
  /** JSON of RunWarning[]; absent on runs from before warnings. */
  warnings: z.string().default(''),
  /** Stamped by every write to the run (RunEntityWriter); absent on older runs: their start counts. */
  lastProgressAt: z.string().default(''),
  /** Closed for want of progress: finished, whatever its jobs (src/domain/StuckRun.ts). */
  interrupted: z.boolean().default(false),
});

export type RunEntity = z.infer<typeof RunEntitySchema>;

/** A run entity as storage gave it back, checked: a row this code did not write is an error, not a run. */
export function parseRunEntity(row: unknown): RunEntity {
  return RunEntitySchema.parse(row);
}

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
    skipped: 0,
    warnings: '',
    lastProgressAt: startedAt.toISOString(),
    interrupted: false,
    ...emptyCounts(),
  };
}

export function countsOf(entity: RunEntity): OutcomeCounts {
  const photos = emptyCounts();
  for (const outcome of PHOTO_OUTCOMES) photos[outcome] = entity[outcome];
  return photos;
}

export function toRun(entity: RunEntity): Run {
  const finished = isRunFinished(entity);
  return {
    runId: entity.partitionKey,
    status: !finished ? 'running' : entity.planningFailed || entity.interrupted ? 'failed' : 'completed',
    trigger: entity.trigger,
    startedAt: entity.startedAt,
    finishedAt: finished && entity.finishedAt ? entity.finishedAt : null,
    lastProgressAt: entity.lastProgressAt || entity.startedAt,
    photoSyncActive: entity.photoSyncActive,
    users: entity.users,
    skipped: entity.skipped,
    photos: countsOf(entity),
    jobs: {
      total: entity.planningDone ? entity.jobsTotal : null,
      done: entity.jobsDone,
      poisoned: entity.jobsPoisoned,
    },
    warnings: warningsOf(entity.warnings),
    error: entity.errorCode === '' ? null : { code: entity.errorCode, message: entity.errorMessage },
  };
}

const storedWarnings = z.array(
  z.object({ code: z.enum(RUN_WARNING_CODES), message: z.string(), count: z.number().optional() }),
);

function warningsOf(text: string | undefined): RunWarning[] {
  if (text === undefined || text === '') return [];
  const parsed = storedWarnings.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : [];
}
