import type { TableClient } from '@azure/data-tables';
import type { Run, RunTrigger } from '../domain/Run';
import type { RunError } from '../domain/RunError';
import type { RunWarning } from '../domain/RunWarning';
import { JobCompletionCoalescer, type JobCompletion } from './JobCompletionCoalescer';
import { JobMarkerPruner } from './JobMarkerPruner';
import { RunEntityWriter } from './RunEntityWriter';
import { RunIndex } from './RunIndex';
import { RunRetention } from './RunRetention';
import { newRunEntity, parseRunEntity, RUN_ROW, toRun } from './RunRows';
import { getOrUndefined } from './StorageErrors';

/**
 * Runs and their progress. Each run is one partition (see RunRows); the run index lists them
 * newest first.
 */
export class RunStore {
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

  /** One page of users listed and its photo jobs enqueued. */
  async addPlanned(runId: string, users: number, jobs: number): Promise<void> {
    await this.writer.change(runId, (entity) => ({
      users: entity.users + users,
      jobsTotal: entity.jobsTotal + jobs,
    }));
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
    return this.writer.change(runId, () => ({
      // A planning that may be repeated (a purge) counts its users and jobs here, once.
      ...(notes.planned === undefined ? {} : { users: notes.planned.users, jobsTotal: notes.planned.jobs }),
      skipped: notes.skipped,
      warnings: JSON.stringify(notes.warnings),
      planningDone: true,
      planningFailed: error !== undefined,
      errorCode: error?.code ?? '',
      errorMessage: error?.message ?? '',
    }));
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
  recordJobDone(...job: Parameters<JobCompletionCoalescer['recordJobDone']>): Promise<JobCompletion> {
    return this.completions.recordJobDone(...job);
  }
}
