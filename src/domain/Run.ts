import { randomBytes } from 'node:crypto';
import { emptyCounts, type OutcomeCounts } from './PhotoOutcome';

export type RunTrigger = 'timer' | 'manual';

/**
 * `completed` once planning ended and every photo job of the run is done; `failed` when planning
 * could not list the tenant (the jobs it did enqueue still run to their end first).
 */
export type RunStatus = 'running' | 'completed' | 'failed';

/** A run as the API shows it (SPEC §4). */
export interface Run {
  runId: string;
  status: RunStatus;
  trigger: RunTrigger;
  startedAt: string;
  finishedAt: string | null;
  photoSyncActive: boolean;
  /** Users listed so far (all of them once planning is done). */
  users: number;
  photos: OutcomeCounts;
  jobs: { total: number | null; done: number; poisoned: number };
  error: { code: string; message: string } | null;
}

/**
 * Sortable, readable and unique: `20261126T200412.123Z-3f9a1c`. Milliseconds keep two runs of the
 * same second in order, in the run list and in each user's photo log.
 */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The run's progress counters, kept in one entity so a transaction can move them together. */
export interface RunProgress {
  planningDone: boolean;
  planningFailed: boolean;
  jobsTotal: number;
  jobsDone: number;
  photos: OutcomeCounts;
}

export function isRunFinished(progress: RunProgress): boolean {
  return progress.planningDone && progress.jobsDone >= progress.jobsTotal;
}

export function newProgress(): RunProgress {
  return { planningDone: false, planningFailed: false, jobsTotal: 0, jobsDone: 0, photos: emptyCounts() };
}

/** The time a run id was made at, read back from the id itself. */
export function runIdTime(runId: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:\.(\d{3}))?Z/.exec(runId);
  if (m === null) throw new RangeError(`not a run id: ${runId}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], +(m[7] ?? 0)));
}

/** Row keys that count down with time, so a partition lists newest first. */
export function newestFirstKey(at: Date): string {
  return String(8_640_000_000_000_000 - at.getTime()).padStart(16, '0');
}
