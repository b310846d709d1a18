import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { addCounts, emptyCounts, PHOTO_OUTCOMES, type OutcomeCounts } from '../domain/PhotoOutcome';
import { isRunFinished, newestFirstKey, type Run, type RunProgress, type RunTrigger } from '../domain/Run';
import { getOrUndefined, isConflict, isNotFound, isPreconditionFailed } from './StorageErrors';

const RUN_ROW = 'run';
const INDEX_PARTITION = 'runs';

type RunEntity = {
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

export interface JobCompletion {
  /** False when this job had been counted already (a repeated delivery), or its run is unknown. */
  counted: boolean;
  runMissing?: boolean;
  /** The run, when this completion finished it: the caller logs its summary, once. */
  finishedRun?: Run;
}


function progressOf(entity: RunEntity): RunProgress {
  const photos = emptyCounts();
  for (const outcome of PHOTO_OUTCOMES) photos[outcome] = entity[outcome] ?? 0;
  return { planningDone: entity.planningDone, planningFailed: entity.planningFailed, jobsTotal: entity.jobsTotal, jobsDone: entity.jobsDone, photos };
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
    jobs: { total: progress.planningDone ? progress.jobsTotal : null, done: progress.jobsDone, poisoned: entity.jobsPoisoned ?? 0 },
    error: entity.errorCode ? { code: entity.errorCode, message: entity.errorMessage } : null,
  };
}

/**
 * Runs and their progress. Each run is one partition: the run entity holds the counters, and every
 * photo job leaves a marker row. A job's marker and its counts are written in one transaction, so
 * a job delivered twice, or finished by two workers at once, is counted exactly once.
 */
export class RunStore {
  constructor(
    private readonly runs: TableClient,
    private readonly index: TableClient,
  ) {}

  async create(runId: string, trigger: RunTrigger, photoSyncActive: boolean, startedAt: Date): Promise<Run> {
    const entity: RunEntity = {
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
    await this.runs.createEntity(entity);
    await this.index.createEntity({ partitionKey: INDEX_PARTITION, rowKey: `${newestFirstKey(startedAt)}-${runId}`, runId });
    return toRun(entity);
  }

  async get(runId: string): Promise<Run | undefined> {
    const entity = await getOrUndefined(() => this.runs.getEntity<RunEntity>(runId, RUN_ROW));
    return entity === undefined ? undefined : toRun(entity);
  }

  /** Newest first. */
  async list(top: number): Promise<Run[]> {
    const pages = this.index.listEntities<{ runId: string }>({ queryOptions: { filter: odata`PartitionKey eq ${INDEX_PARTITION}` } }).byPage({ maxPageSize: top });
    for await (const page of pages) {
      const runs = await Promise.all(page.map((row) => this.get(row.runId)));
      return runs.filter((run): run is Run => run !== undefined);
    }
    return [];
  }

  /** One page of users listed and its photo jobs enqueued. */
  async addPlanned(runId: string, users: number, jobs: number): Promise<void> {
    await this.change(runId, (entity) => ({ users: entity.users + users, jobsTotal: entity.jobsTotal + jobs }));
  }

  /** Planning has ended, listing every user or failing midway; the run may be finished now. */
  async finishPlanning(runId: string, error?: { code: string; message: string }): Promise<Run | undefined> {
    const outcome = await this.change(runId, () => ({
      planningDone: true,
      planningFailed: error !== undefined,
      errorCode: error?.code ?? '',
      errorMessage: error?.message ?? '',
    }));
    return outcome.finishedRun;
  }

  async recordJobDone(runId: string, jobId: string, counts: OutcomeCounts, options: { poisoned?: boolean } = {}): Promise<JobCompletion> {
    try {
      return await this.change(
        runId,
        (entity) => ({
          jobsDone: entity.jobsDone + 1,
          jobsPoisoned: (entity.jobsPoisoned ?? 0) + (options.poisoned ? 1 : 0),
          ...addCounts(progressOf(entity).photos, counts),
        }),
        [['create', { partitionKey: runId, rowKey: `job-${jobId}`, poisoned: options.poisoned ?? false }]],
      );
    } catch (error) {
      if (isConflict(error)) return { counted: false };
      if (isNotFound(error)) return { counted: false, runMissing: true };
      throw error;
    }
  }

  /**
   * Read, change and write the run entity under its ETag, with `extra` rows in the same transaction;
   * another writer in between (412) makes it read and try again.
   */
  private async change(runId: string, update: (entity: RunEntity) => Partial<RunEntity>, extra: TransactionAction[] = []): Promise<JobCompletion> {
    for (let attempt = 1; ; attempt++) {
      const entity = await this.runs.getEntity<RunEntity>(runId, RUN_ROW);
      const wasFinished = isRunFinished(progressOf(entity));
      const next: RunEntity = { ...entity, ...update(entity) };
      const finishesNow = !wasFinished && isRunFinished(progressOf(next));
      if (finishesNow) next.finishedAt = new Date().toISOString();
      const { etag, ...fields } = next;
      try {
        await this.runs.submitTransaction([...extra, ['update', fields, 'Merge', { etag }]]);
        return { counted: true, finishedRun: finishesNow ? toRun(next) : undefined };
      } catch (error) {
        if (!isPreconditionFailed(error) || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt, 10)));
      }
    }
  }
}

