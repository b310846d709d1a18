import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { chunks } from '../domain/chunks';
import { MESSAGE_TTL_SECONDS } from './JobQueue';
import type { RunIndex } from './RunIndex';
import { JOB_MARKER_ROWS } from './RunRows';
import { LIST_PAGE_SIZE, TRANSACTION_LIMIT } from './TableLimits';

/**
 * A photo job lives on the queue for its TTL at most, and a poison copy as long again. After that
 * no job of the run can arrive, so its markers only cost storage (5,000 a run at 100k users).
 */
const JOB_MARKER_RETENTION_MS = (2 * MESSAGE_TTL_SECONDS + 24 * 3600) * 1000;
/** Old runs pruned by one planning at most: an upgrade with a long history catches up over a few runs. */
const PRUNED_RUNS_PER_CALL = 10;

/** Deletes the job markers of old runs; the runs themselves, with their counts, stay for `GET /api/runs`. */
export class JobMarkerPruner {
  constructor(
    private readonly runs: TableClient,
    private readonly index: RunIndex,
  ) {}

  /** The markers of runs that started more than `JOB_MARKER_RETENTION_MS` before `now`. */
  async prune(now: Date): Promise<{ runs: number; markers: number }> {
    const pruned = { runs: 0, markers: 0 };
    for await (const row of this.index.startedBefore(new Date(now.getTime() - JOB_MARKER_RETENTION_MS))) {
      if (row.markersPruned === true) continue;
      if (pruned.runs >= PRUNED_RUNS_PER_CALL) break;
      pruned.markers += await deleteJobMarkers(this.runs, row.runId);
      await this.index.markPruned(row);
      pruned.runs++;
    }
    return pruned;
  }
}

/** Deletes every job marker of one run, a page and a transaction at a time; how many there were. */
export async function deleteJobMarkers(runs: TableClient, runId: string): Promise<number> {
  const { from, before } = JOB_MARKER_ROWS;
  const filter = odata`PartitionKey eq ${runId} and RowKey ge ${from} and RowKey lt ${before}`;
  let deleted = 0;
  for await (const page of runs
    .listEntities<{ partitionKey: string; rowKey: string }>({
      queryOptions: { filter, select: ['RowKey'] },
    })
    .byPage({ maxPageSize: LIST_PAGE_SIZE })) {
    for (const rows of chunks(page, TRANSACTION_LIMIT)) {
      await runs.submitTransaction(
        rows.map((row): TransactionAction => ['delete', { partitionKey: runId, rowKey: row.rowKey }]),
      );
    }
    deleted += page.length;
  }
  return deleted;
}
