import type { TransactionAction } from '@azure/data-tables';
import { addCounts, emptyCounts, type OutcomeCounts } from '../domain/PhotoOutcome';
import type { Run } from '../domain/Run';
import type { RunEntityWriter } from './RunEntityWriter';
import { countsOf, jobMarkerRow } from './RunRows';
import { isConflict, isNotFound } from './StorageErrors';
import { TRANSACTION_LIMIT } from './TableLimits';

export interface JobCompletion {
  /** False when this job had been counted already (a repeated delivery), or its run is unknown. */
  counted: boolean;
  runMissing?: boolean;
  /**
   * The run, when it had been closed as interrupted before this job came: the job is counted into
   * it all the same (once), and the run stays closed.
   */
  closedRun?: Run;
  /** The run, when this completion finished it: the caller logs its summary, once. */
  finishedRun?: Run;
}

/** The users a job checked and when: the marker says so, so their records need no write (`JobCoverage`). */
export interface JobChecks {
  userIds: readonly string[];
  checkedAt: Date;
}

interface DoneJob {
  jobId: string;
  counts: OutcomeCounts;
  poisoned: boolean;
  checks?: JobChecks;
  settle: (completion: JobCompletion) => void;
  fail: (error: unknown) => void;
}

/** A transaction: the run entity's update and the rest job markers. */
const JOBS_PER_TRANSACTION = TRANSACTION_LIMIT - 1;

/**
 * Counts finished photo jobs into their run. A job's marker and its counts are written in one
 * transaction, so a job delivered twice, or finished by two workers at once, is counted exactly
 * once. Jobs of a run that finish in this process while its previous completion is being written
 * wait and are written together: the many workers of one host would otherwise all retry on the run
 * entity's ETag, several reads and writes per job.
 */
export class JobCompletionCoalescer {
  private readonly waitingJobs = new Map<string, DoneJob[]>();
  private readonly writingRuns = new Set<string>();

  constructor(private readonly writer: RunEntityWriter) {}

  recordJobDone(
    runId: string,
    jobId: string,
    counts: OutcomeCounts,
    options: { poisoned?: boolean; checks?: JobChecks } = {},
  ): Promise<JobCompletion> {
    return new Promise((settle, fail) => {
      const waiting = this.waitingJobs.get(runId) ?? [];
      waiting.push({
        jobId,
        counts,
        poisoned: options.poisoned ?? false,
        checks: options.checks,
        settle,
        fail,
      });
      this.waitingJobs.set(runId, waiting);
      if (!this.writingRuns.has(runId)) void this.writeWaitingJobs(runId);
    });
  }

  private async writeWaitingJobs(runId: string): Promise<void> {
    this.writingRuns.add(runId);
    try {
      for (let jobs = this.takeWaitingJobs(runId); jobs.length > 0; jobs = this.takeWaitingJobs(runId))
        await this.writeJobs(runId, jobs);
    } finally {
      this.writingRuns.delete(runId);
    }
  }

  /**
   * Up to a transaction's worth, each job id once: a second copy waits for the next write, where it
   * conflicts.
   */
  private takeWaitingJobs(runId: string): DoneJob[] {
    const waiting = this.waitingJobs.get(runId) ?? [];
    const taken: DoneJob[] = [];
    const ids = new Set<string>();
    const left = waiting.filter((job) => {
      if (taken.length >= JOBS_PER_TRANSACTION || ids.has(job.jobId)) return true;
      ids.add(job.jobId);
      taken.push(job);
      return false;
    });
    if (left.length > 0) this.waitingJobs.set(runId, left);
    else this.waitingJobs.delete(runId);
    return taken;
  }

  private async writeJobs(runId: string, jobs: DoneJob[]): Promise<void> {
    try {
      const change = await this.writer.change(
        runId,
        (entity) => ({
          jobsDone: entity.jobsDone + jobs.length,
          jobsPoisoned: entity.jobsPoisoned + jobs.filter((job) => job.poisoned).length,
          ...addCounts(
            countsOf(entity),
            jobs.reduce((sum, job) => addCounts(sum, job.counts), emptyCounts()),
          ),
        }),
        jobs.map((job): TransactionAction => [
          'create',
          {
            partitionKey: runId,
            rowKey: jobMarkerRow(job.jobId),
            poisoned: job.poisoned,
            ...(job.checks && {
              userIds: job.checks.userIds.join(','),
              checkedAt: job.checks.checkedAt.toISOString(),
            }),
          },
        ]),
        { intoInterrupted: true },
      );
      if (change.kind !== 'written') {
        // A run that finished by itself had counted every job: this one is a repeated delivery.
        for (const job of jobs) job.settle({ counted: false });
        return;
      }
      const closedBefore = !change.finishedNow && change.run.status !== 'running';
      const completion: JobCompletion = closedBefore
        ? { counted: true, closedRun: change.run }
        : { counted: true, ...(change.finishedNow && { finishedRun: change.run }) };
      // The run's summary is logged once: by the caller of the last job that finished it.
      jobs.forEach((job, index) =>
        job.settle(index === jobs.length - 1 || closedBefore ? completion : { counted: true }),
      );
    } catch (error) {
      // One job counted before fails the whole transaction: each is written on its own to tell which.
      if (isConflict(error) && jobs.length > 1) {
        for (const job of jobs) await this.writeJobs(runId, [job]);
      } else if (isConflict(error)) {
        jobs[0].settle({ counted: false });
      } else if (isNotFound(error)) {
        for (const job of jobs) job.settle({ counted: false, runMissing: true });
      } else {
        for (const job of jobs) job.fail(error);
      }
    }
  }
}
