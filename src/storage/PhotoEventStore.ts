import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import type { PhotoError } from '../domain/PhotoError';
import { PHOTO_OUTCOMES, type PhotoOutcome } from '../domain/PhotoOutcome';
import { newestFirstKey, runIdTime } from '../domain/Run';
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

/** Each user's photo events in their own partition, newest first by a counting-down row key. */
export class PhotoEventStore {
  constructor(private readonly table: TableClient) {}

  async append(userId: string, event: PhotoEvent): Promise<void> {
    // One row per user and run: a repeated delivery of the same job rewrites it instead of adding a
    // second event.
    const rowKey = `${newestFirstKey(runIdTime(event.runId))}-${event.runId}`;
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
}
