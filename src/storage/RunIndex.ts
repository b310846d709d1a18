import { odata, type TableClient } from '@azure/data-tables';
import { newestFirstKey } from '../domain/Run';

const INDEX_PARTITION = 'runs';

export interface RunIndexRow {
  partitionKey: string;
  rowKey: string;
  runId: string;
  markersPruned?: boolean;
}

/**
 * Every run, newest first, in one partition: runs are partitions of their own, and a table lists
 * partitions in key order only.
 */
export class RunIndex {
  constructor(private readonly table: TableClient) {}

  async add(runId: string, startedAt: Date): Promise<void> {
    await this.table.createEntity({
      partitionKey: INDEX_PARTITION,
      rowKey: `${newestFirstKey(startedAt)}-${runId}`,
      runId,
    });
  }

  /** The `top` newest run ids after `next` (a token an earlier page returned), and the next token. */
  async page(top: number, next?: string): Promise<{ runIds: string[]; next: string | null }> {
    const pages = this.table
      .listEntities<{ runId: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${INDEX_PARTITION}` },
      })
      .byPage({ maxPageSize: top, continuationToken: next });
    for await (const page of pages)
      return { runIds: page.map((row) => row.runId), next: page.continuationToken ?? null };
    return { runIds: [], next: null };
  }

  /** Runs that started before `startedBefore`, newest first. */
  startedBefore(startedBefore: Date): AsyncIterable<RunIndexRow> {
    // Newest-first keys: a run that started earlier has a greater key.
    const filter = odata`PartitionKey eq ${INDEX_PARTITION} and RowKey gt ${newestFirstKey(startedBefore)}`;
    return this.table.listEntities<RunIndexRow>({ queryOptions: { filter } });
  }

  async remove(row: RunIndexRow): Promise<void> {
    await this.table.deleteEntity(INDEX_PARTITION, row.rowKey);
  }

  async markPruned(row: RunIndexRow): Promise<void> {
    await this.table.updateEntity<RunIndexRow>(
      { partitionKey: INDEX_PARTITION, rowKey: row.rowKey, runId: row.runId, markersPruned: true },
      'Merge',
    );
  }
}
