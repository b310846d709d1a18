import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { addCounts, emptyCounts, PHOTO_OUTCOMES, type OutcomeCounts } from '../domain/PhotoOutcome';
import { isRunFinished, newestFirstKey, type Run, type RunProgress, type RunTrigger } from '../domain/Run';
import { chunks } from '../domain/Chunks';
import { MESSAGE_TTL_SECONDS } from './JobQueue';
import { getOrUndefined, isConflict, isNotFound, isPreconditionFailed } from './StorageErrors';
import { LIST_PAGE_SIZE, TRANSACTION_LIMIT } from './TableLimits';

const RUN_ROW = 'run';
const INDEX_PARTITION = 'runs';
/** Job markers are `job-<jobId>`; '.' follows '-', so `ge 'job-' and lt 'job.'` is exactly them. */
const JOB_ROW_PREFIX = 'job-';
const AFTER_JOB_ROWS = 'job.';

/**
 * A photo job lives on the queue for its TTL at most, and a poison copy as long again. After that
 * no job of the run can arrive, so its markers only cost storage (5,000 a run at 100k users).
 */
const JOB_MARKER_RETENTION_MS = (2 * MESSAGE_TTL_SECONDS + 24 * 3600) * 1000;
/** Old runs pruned by one planning at most: an upgrade with a long history catches up over a few runs. */
const PRUNED_RUNS_PER_CALL = 10;

type IndexEntity = { partitionKey: string; rowKey: string; runId: string; markersPruned?: boolean };

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

interface DoneJob {
  jobId: string;
  counts: OutcomeCounts;
  poisoned: boolean;
  settle: (completion: JobCompletion) => void;
  fail: (error: unknown) => void;
}

/** A transaction: the run entity's update and the rest job markers. */
const JOBS_PER_TRANSACTION = TRANSACTION_LIMIT - 1;

function progressOf(entity: RunEntity): RunProgress {
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
    await this.index.createEntity({
      partitionKey: INDEX_PARTITION,
      rowKey: `${newestFirstKey(startedAt)}-${runId}`,
      runId,
    });
    return toRun(entity);
  }

  async get(runId: string): Promise<Run | undefined> {
    const entity = await getOrUndefined(() => this.runs.getEntity<RunEntity>(runId, RUN_ROW));
    return entity === undefined ? undefined : toRun(entity);
  }

  /** Newest first. */
  async list(top: number): Promise<Run[]> {
    const pages = this.index
      .listEntities<{ runId: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${INDEX_PARTITION}` },
      })
      .byPage({ maxPageSize: top });
    for await (const page of pages) {
      const runs = await Promise.all(page.map((row) => this.get(row.runId)));
      return runs.filter((run): run is Run => run !== undefined);
    }
    return [];
  }

  /** One page of users listed and its photo jobs enqueued. */
  async addPlanned(runId: string, users: number, jobs: number): Promise<void> {
    await this.change(runId, (entity) => ({
      users: entity.users + users,
      jobsTotal: entity.jobsTotal + jobs,
    }));
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

  /**
   * Deletes the job markers of runs that started more than `JOB_MARKER_RETENTION_MS` before `now`;
   * the runs themselves, with their counts, stay for `GET /api/runs`.
   */
  async pruneJobMarkers(now: Date): Promise<{ runs: number; markers: number }> {
    const startedBefore = new Date(now.getTime() - JOB_MARKER_RETENTION_MS);
    // Newest-first keys: a run that started earlier has a greater key.
    const filter = odata`PartitionKey eq ${INDEX_PARTITION} and RowKey gt ${newestFirstKey(startedBefore)}`;
    const pruned = { runs: 0, markers: 0 };
    for await (const row of this.index.listEntities<IndexEntity>({ queryOptions: { filter } })) {
      if (row.markersPruned === true) continue;
      if (pruned.runs >= PRUNED_RUNS_PER_CALL) break;
      pruned.markers += await this.deleteJobMarkers(row.runId);
      await this.index.updateEntity<IndexEntity>(
        { partitionKey: INDEX_PARTITION, rowKey: row.rowKey, runId: row.runId, markersPruned: true },
        'Merge',
      );
      pruned.runs++;
    }
    return pruned;
  }

  private async deleteJobMarkers(runId: string): Promise<number> {
    const filter = odata`PartitionKey eq ${runId} and RowKey ge ${JOB_ROW_PREFIX} and RowKey lt ${AFTER_JOB_ROWS}`;
    let deleted = 0;
    for await (const page of this.runs
      .listEntities<{ partitionKey: string; rowKey: string }>({
        queryOptions: { filter, select: ['RowKey'] },
      })
      .byPage({ maxPageSize: LIST_PAGE_SIZE })) {
      for (const rows of chunks(page, TRANSACTION_LIMIT)) {
        await this.runs.submitTransaction(
          rows.map((row): TransactionAction => ['delete', { partitionKey: runId, rowKey: row.rowKey }]),
        );
      }
      deleted += page.length;
    }
    return deleted;
  }

  private readonly waitingJobs = new Map<string, DoneJob[]>();
  private readonly writingRuns = new Set<string>();

  /**
   * Jobs of a run that finish in this process while its previous completion is being written wait
   * and are written together, in one transaction: the many workers of one host would otherwise
   * all retry on the run entity's ETag, several reads and writes per job.
   */
  recordJobDone(
    runId: string,
    jobId: string,
    counts: OutcomeCounts,
    options: { poisoned?: boolean } = {},
  ): Promise<JobCompletion> {
    return new Promise((settle, fail) => {
      const waiting = this.waitingJobs.get(runId) ?? [];
      waiting.push({ jobId, counts, poisoned: options.poisoned ?? false, settle, fail });
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

  /** Up to a transaction's worth, each job id once: a second copy waits for the next write, where it conflicts. */
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
      const completion = await this.change(
        runId,
        (entity) => ({
          jobsDone: entity.jobsDone + jobs.length,
          jobsPoisoned: (entity.jobsPoisoned ?? 0) + jobs.filter((job) => job.poisoned).length,
          ...addCounts(
            progressOf(entity).photos,
            jobs.reduce((sum, job) => addCounts(sum, job.counts), emptyCounts()),
          ),
        }),
        jobs.map((job): TransactionAction => [
          'create',
          { partitionKey: runId, rowKey: `${JOB_ROW_PREFIX}${job.jobId}`, poisoned: job.poisoned },
        ]),
      );
      // The run's summary is logged once: by the caller of the last job that finished it.
      jobs.forEach((job, index) => job.settle(index === jobs.length - 1 ? completion : { counted: true }));
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

  /** Each run's entity as this process last wrote it: the next change needs no read unless another writer came between. */
  private readonly lastWritten = new Map<string, RunEntity>();

  /**
   * Change and write the run entity under its ETag, with `extra` rows in the same transaction. It
   * is read unless this process wrote it last; another writer in between (412) makes it read and
   * try again.
   */
  private async change(
    runId: string,
    update: (entity: RunEntity) => Partial<RunEntity>,
    extra: TransactionAction[] = [],
  ): Promise<JobCompletion> {
    for (let attempt = 1; ; attempt++) {
      const entity = this.lastWritten.get(runId) ?? (await this.runs.getEntity<RunEntity>(runId, RUN_ROW));
      const wasFinished = isRunFinished(progressOf(entity));
      const next: RunEntity = { ...entity, ...update(entity) };
      const finishesNow = !wasFinished && isRunFinished(progressOf(next));
      if (finishesNow) next.finishedAt = new Date().toISOString();
      const { etag, ...fields } = next;
      try {
        const response = await this.runs.submitTransaction([...extra, ['update', fields, 'Merge', { etag }]]);
        // Answers come in the order of the operations; the run entity's is the last.
        this.remember(runId, { ...next, etag: response.subResponses[extra.length]?.etag });
        return { counted: true, finishedRun: finishesNow ? toRun(next) : undefined };
      } catch (error) {
        this.lastWritten.delete(runId);
        if (!isPreconditionFailed(error) || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt, 10)));
      }
    }
  }

  /** A finished run takes no more changes, so it is not kept. */
  private remember(runId: string, entity: RunEntity): void {
    if (isRunFinished(progressOf(entity)) || entity.etag === undefined) this.lastWritten.delete(runId);
    else this.lastWritten.set(runId, entity);
  }
}
