import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { chunks } from '../domain/chunks';
import { TRANSACTION_LIMIT } from './TableLimits';
import type { PhotoError } from '../domain/PhotoError';
import { PHOTO_OUTCOMES, type PhotoOutcome } from '../domain/PhotoOutcome';
import { newestFirstKey } from '../domain/Run';
import { storedPhotoError } from './storedPhotoError';
import { REMOVAL_REASONS, type RemovalReason } from '../domain/RemovalReason';

/** One entry of a user's photo log (`GET /api/users/{userId}/photo/log`, docs/design.md). */
export interface PhotoEvent {
  at: string;
  runId: string;
  result: PhotoOutcome;
  /** Why a photo was removed without Graph's word for it (outOfScope, departed, purged); else null. */
  reason: RemovalReason | null;
  error: PhotoError | null;
}

const PhotoEventEntitySchema = z.object({
  at: z.string(),
  runId: z.string(),
  result: z.enum(PHOTO_OUTCOMES),
  /** Absent on events from before removal reasons. */
  reason: z.union([z.literal(''), z.enum(REMOVAL_REASONS)]).default(''),
  errorCode: z.string(),
  errorMessage: z.string(),
});

type PhotoEventEntity = z.infer<typeof PhotoEventEntitySchema>;

export const PHOTO_LOG_SIZE = 50;

/** Pages one prune reads at most: its work per run is bounded whatever the table holds. */
const PRUNE_PAGES_READ = 10;

/** Each user's photo events in their own partition, newest first by `at` (a counting-down row key). */
export class PhotoEventStore {
  constructor(private readonly table: TableClient) {}

  async append(userId: string, event: PhotoEvent): Promise<void> {
    // Keyed by when it happened, not by when its run started: runs overlap (a job delivered again,
    // a purge), and the log reads newest first by `at`. The run id keeps events of two runs at the
    // same millisecond apart; the worker logs a repeated delivery only where it found something new.
    const rowKey = `${newestFirstKey(new Date(event.at))}-${event.runId}`;
    await this.table.upsertEntity<PhotoEventEntity>(
      {
        partitionKey: userId,
        rowKey,
        at: event.at,
        runId: event.runId,
        result: event.result,
        reason: event.reason ?? '',
        errorCode: event.error?.code ?? '',
        errorMessage: event.error?.message ?? '',
      },
      'Replace',
    );
  }

  async recent(userId: string, top = PHOTO_LOG_SIZE): Promise<PhotoEvent[]> {
    const pages = this.table
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${userId}` } })
      .byPage({ maxPageSize: top });
    for await (const page of pages) {
      return page.map((entity) => {
        const row = PhotoEventEntitySchema.parse(entity);
        return {
          at: row.at,
          runId: row.runId,
          result: row.result,
          reason: row.reason === '' ? null : row.reason,
          error: storedPhotoError(row.errorCode, row.errorMessage),
        };
      });
    }
    return [];
  }

  /**
   * Deletes up to `max` events older than `before`, across all users: one query (row keys
   * count down with time, so old events have the greater keys), a transaction per user, and at
   * most a few pages read, as a filtered scan may answer with empty pages.
   */
  async pruneOlderThan(before: Date, max: number): Promise<number> {
    const filter = odata`RowKey gt ${newestFirstKey(before)}`;
    const pages = this.table
      .listEntities<{ partitionKey: string; rowKey: string }>({
        queryOptions: { filter, select: ['PartitionKey', 'RowKey'] },
      })
      .byPage({ maxPageSize: Math.min(max, 1000) });
    let deleted = 0;
    let read = 0;
    for await (const page of pages) {
      const byUser = new Map<string, TransactionAction[]>();
      for (const row of page.slice(0, max - deleted)) {
        const actions = byUser.get(row.partitionKey) ?? [];
        actions.push(['delete', { partitionKey: row.partitionKey, rowKey: row.rowKey }]);
        byUser.set(row.partitionKey, actions);
      }
      for (const actions of byUser.values())
        for (const transaction of chunks(actions, TRANSACTION_LIMIT))
          await this.table.submitTransaction(transaction);
      deleted += Math.min(page.length, max - deleted);
      if (deleted >= max || ++read >= PRUNE_PAGES_READ) break;
    }
    return deleted;
  }
}
