import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { OutcomeCounts } from './PhotoOutcome';
import type { RunError } from './RunError';
import type { RunWarning } from './RunWarning';

/** `purge`: `POST /api/photos/purge`, a run that deletes every stored photo. */
export const RUN_TRIGGERS = ['timer', 'manual', 'purge'] as const;

export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/**
 * `completed` once planning ended and every photo job of the run is done; `failed` when planning
 * could not list the tenant (the jobs it did enqueue still run to their end first), or when the run
 * stopped making progress and was closed as `interrupted`.
 */
export type RunStatus = 'running' | 'completed' | 'failed';

/** A run as the API shows it (docs/design.md, "HTTP API"). */
export interface Run {
  runId: string;
  status: RunStatus;
  trigger: RunTrigger;
  startedAt: string;
  finishedAt: string | null;
  /**
   * When the run last recorded progress (a page of users listed, photo jobs enqueued, a job done);
   * a run in progress without any for long is closed as `interrupted` (src/domain/StuckRun.ts).
   */
  lastProgressAt: string;
  photoSyncActive: boolean;
  /** Users listed so far (all of them once planning is done). */
  users: number;
  /** Users listed whose photo the run did not check: out of scope, scope unknown, removal held back. */
  skipped: number;
  photos: OutcomeCounts;
  jobs: { total: number | null; done: number; poisoned: number };
  /** Why the run did less than it could; always an array. */
  warnings: RunWarning[];
  error: RunError | null;
}

/**
 * Sortable, readable and unique: `20261126T200412.123Z-3f9a1c`. Milliseconds keep two runs of the
 * same second in order, in the run list and in each user's photo log.
 */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** What newRunId makes; ids made before milliseconds were added have none. */
const RUN_ID = /^[0-9]{8}T[0-9]{6}(\.[0-9]{3})?Z-[0-9a-f]{6}$/;

export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

export const RunIdSchema = z.string().regex(RUN_ID, 'runId is not a run id');

/**
 * A run is finished once planning ended and every photo job it enqueued is done, or once it was
 * closed as interrupted, whatever its jobs.
 */
export function isRunFinished(progress: {
  planningDone: boolean;
  jobsDone: number;
  jobsTotal: number;
  interrupted?: boolean;
}): boolean {
  return progress.interrupted === true || (progress.planningDone && progress.jobsDone >= progress.jobsTotal);
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
