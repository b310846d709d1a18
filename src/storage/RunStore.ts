import type { TableClient } from '@azure/data-tables';
import type { Run, RunTrigger } from '../domain/Run';
import type { RunError } from '../domain/RunError';
import { RunFinishedError } from './RunFinishedError';
import { RunSlot } from './RunSlot';
import type { RunWarning } from '../domain/RunWarning';
import { JobCompletionCoalescer, type JobCompletion } from './JobCompletionCoalescer';
import { JobMarkerPruner } from './JobMarkerPruner';
import { RunEntityWriter } from './RunEntityWriter';
import { RunIndex } from './RunIndex';
import { RunRetention } from './RunRetention';
import { newRunEntity, parseRunEntity, RUN_ROW, toRun } from './RunRows';
import { getOrUndefined } from './StorageErrors';

/** What closing a stopped run did (`closeIfStuck`). */
export type RunClosing =
  | { kind: 'closed'; run: Run }
  /** Nothing to close: it had finished, or made progress since it was judged. */
  | { kind: 'finished' | 'progressing'; run: Run };

/**
 * Runs and their progress. Each run is one partition (see RunRows); the run index lists them
 * newest first. The run slot, in the index's table, is released here, by whatever write finishes
 * the run that holds it.
 */
export class RunStore {
  /** One run at a time (RunSlot): src/sync/startRun.ts takes it. */
  readonly slot: RunSlot;
  private readonly index: RunIndex;
  private readonly writer: RunEntityWriter;
  private readonly completions: JobCompletionCoalescer;
  private readonly pruner: JobMarkerPruner;
  private readonly retention: RunRetention;

  constructor(
    private readonly runs: TableClient,
    index: TableClient,
  ) {
    this.index = new RunIndex(index);
    this.slot = new RunSlot(index);
    this.writer = new RunEntityWriter(runs);
    this.completions = new JobCompletionCoalescer(this.writer);
    this.pruner = new JobMarkerPruner(runs, this.index);
    this.retention = new RunRetention(runs, this.index);
  }

  async create(runId: string, trigger: RunTrigger, photoSyncActive: boolean, startedAt: Date): Promise<Run> {
    const entity = newRunEntity(runId, trigger, photoSyncActive, startedAt);
    await this.runs.createEntity(entity);
    await this.index.add(runId, startedAt);
    return toRun(entity);
  }

  async get(runId: string): Promise<Run | undefined> {
    const row = await getOrUndefined(() => this.runs.getEntity(runId, RUN_ROW));
    return row === undefined ? undefined : toRun(parseRunEntity(row));
  }

  /** The `top` newest runs. */
  async list(top: number): Promise<Run[]> {
    return (await this.page({ top })).runs;
  }

  /** Newest first, `top` at a time; `next` is the token an earlier page returned. */
  async page(options: { top: number; next?: string }): Promise<{ runs: Run[]; next: string | null }> {
    const { runIds, next } = await this.index.page(options.top, options.next);
    const runs = await Promise.all(runIds.map((runId) => this.get(runId)));
    // An index row whose run retention has just deleted is skipped.
    return { runs: runs.filter((run): run is Run => run !== undefined), next };
  }

  /** One page of users listed and its photo jobs enqueued; a run closed meanwhile throws RunFinishedError. */
  async addPlanned(runId: string, users: number, jobs: number): Promise<void> {
    const change = await this.writer.change(runId, (entity) => ({
      users: entity.users + users,
      jobsTotal: entity.jobsTotal + jobs,
    }));
    if (change.kind === 'alreadyFinished') throw new RunFinishedError(change.run);
  }

  /**
   * Planning has ended, listing every user or failing midway, with what it noted (warnings, users
   * skipped); the run may be finished now.
   */
  async finishPlanning(
    runId: string,
    error?: RunError,
    notes: { warnings: RunWarning[]; skipped: number; planned?: { users: number; jobs: number } } = {
      warnings: [],
      skipped: 0,
    },
  ): Promise<Run | undefined> {
    const change = await this.writer.change(runId, () => ({
      // A planning that may be repeated (a purge) counts its users and jobs here, once.
      ...(notes.planned === undefined ? {} : { users: notes.planned.users, jobsTotal: notes.planned.jobs }),
      skipped: notes.skipped,
      warnings: JSON.stringify(notes.warnings),
      planningDone: true,
      planningFailed: error !== undefined,
      errorCode: error?.code ?? '',
      errorMessage: error?.message ?? '',
    }));
    return this.finished(change.kind === 'written' && change.finishedNow ? change.run : undefined);
  }

  /**
   * Closes a run that stopped (src/sync/closeStuckRuns.ts) as failed with the error `judge` gives:
   * what it counted stays, and it takes nothing more. `judge` decides on the run as stored, again if
   * another write came between, so a job that completes meanwhile keeps the run open.
   */
  async closeIfStuck(runId: string, judge: (run: Run) => RunError | undefined): Promise<RunClosing> {
    const change = await this.writer.change(runId, (entity) => {
      const error = judge(toRun(entity));
      return error === undefined
        ? undefined
        : {
            interrupted: true,
            planningDone: true,
            errorCode: error.code,
            errorMessage: error.message,
            // Closing is not progress: the run shows when it last did something.
            lastProgressAt: entity.lastProgressAt,
          };
    });
    if (change.kind === 'alreadyFinished') return { kind: 'finished', run: change.run };
    if (change.kind === 'unchanged') return { kind: 'progressing', run: change.run };
    await this.finished(change.run);
    return { kind: 'closed', run: change.run };
  }

  /**
   * A run that a write just finished lets go of the run slot. A release that fails costs nothing:
   * a slot whose run has finished is free to the next start (src/domain/RunSlotHolder.ts).
   */
  private async finished(run: Run | undefined): Promise<Run | undefined> {
    if (run !== undefined) await this.slot.release(run.runId).catch(() => undefined);
    return run;
  }

  /** See RunRetention. */
  pruneRunsStartedBefore(startedBefore: Date, maxRuns: number): Promise<{ runs: number; markers: number }> {
    return this.retention.prune(startedBefore, maxRuns);
  }

  /** See JobMarkerPruner. */
  pruneJobMarkers(now: Date): Promise<{ runs: number; markers: number }> {
    return this.pruner.prune(now);
  }

  /** See JobCompletionCoalescer. */
  async recordJobDone(...job: Parameters<JobCompletionCoalescer['recordJobDone']>): Promise<JobCompletion> {
    const completion = await this.completions.recordJobDone(...job);
    await this.finished(completion.finishedRun);
    return completion;
  }
}
