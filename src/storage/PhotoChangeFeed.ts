import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { z } from 'zod';
import { chunks } from '../domain/chunks';
import { getOrUndefined, isConflict, isPreconditionFailed } from './StorageErrors';
import { LIST_PAGE_SIZE, TRANSACTION_LIMIT } from './TableLimits';

export type PhotoChangeResult = 'added' | 'updated' | 'removed';

/** One stored change of a user's photo: what `GET /api/photos/changes` lists. */
export interface PhotoChange {
  userId: string;
  result: PhotoChangeResult;
  /** The stored photo's hash; null for `removed`. */
  sha256: string | null;
  at: string;
}

export interface SequencedPhotoChange extends PhotoChange {
  seq: number;
}

export interface ChangePage {
  /** At most `top`, in the order they were stored. */
  changes: SequencedPhotoChange[];
  /** The last sequence number given out, when the page reached the end of the feed. */
  last?: number;
}

/**
 * The whole feed is one partition: a head row holding the last sequence number given out, and one
 * row per change keyed by its sequence number. A change and the head's new number are written in
 * ONE entity-group transaction, conditional on the head's ETag: number N+1 can only be committed
 * after N was, so a reader that has seen N has seen everything before it, and nothing is ever
 * committed behind a reader's back — the pitfall of time-ordered keys, whose writer may commit
 * after a reader has read past its key. No clock and no settle window are involved.
 */
const PARTITION = 'feed';
const HEAD = 'head';
/** Change rows are `c` + 15 digits: they sort before `head`, and `d` bounds them. */
const CHANGE_PREFIX = 'c';
const AFTER_CHANGES = 'd';
const SEQ_DIGITS = 15;
/** One row of each transaction is the head. */
const CHANGES_PER_TRANSACTION = TRANSACTION_LIMIT - 1;
/** Other processes' appends win the head now and then: each try costs a read and a transaction. */
const MAX_TRIES = 30;

const changeKey = (seq: number): string => `${CHANGE_PREFIX}${String(seq).padStart(SEQ_DIGITS, '0')}`;

const headRow = z.object({ etag: z.string(), last: z.string().regex(/^[0-9]{1,15}$/) });
const changeRow = z.object({
  rowKey: z.string().regex(/^c[0-9]{15}$/),
  userId: z.string(),
  result: z.enum(['added', 'updated', 'removed']),
  sha256: z.string(),
  at: z.string(),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface PendingAppend {
  changes: PhotoChange[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class PhotoChangeFeed {
  private readonly pending: PendingAppend[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  /**
   * Resolves once the changes are stored, in this order and after every change this process
   * appended before. Concurrent jobs of a process share one transaction (group commit): the head
   * is one row, so the process keeps a single append in flight and batches what waits meanwhile.
   */
  async append(changes: readonly PhotoChange[]): Promise<void> {
    await Promise.all(
      chunks([...changes], CHANGES_PER_TRANSACTION).map(
        (part) =>
          new Promise<void>((resolve, reject) => {
            this.pending.push({ changes: part, resolve, reject });
            this.draining ??= this.drain();
          }),
      ),
    );
  }

  /** Changes after `after` (from the oldest kept without it), and the head when the page reached it. */
  async read(after: number | undefined, top: number): Promise<ChangePage> {
    const from = after === undefined ? CHANGE_PREFIX : changeKey(after);
    // Change rows and then the head, in one range: the head tells where the feed ends.
    const filter = odata`PartitionKey eq ${PARTITION} and RowKey gt ${from} and RowKey le ${HEAD}`;
    const changes: SequencedPhotoChange[] = [];
    const pages = this.table
      .listEntities({ queryOptions: { filter } })
      .byPage({ maxPageSize: Math.min(top + 1, LIST_PAGE_SIZE) });
    for await (const page of pages) {
      for (const entity of page) {
        if (entity.rowKey === HEAD) return { changes, last: Number(headRow.parse(entity).last) };
        if (changes.length === top) return { changes };
        const row = changeRow.parse(entity);
        changes.push({
          seq: Number(row.rowKey.slice(CHANGE_PREFIX.length)),
          userId: row.userId,
          result: row.result,
          sha256: row.result === 'removed' ? null : row.sha256,
          at: row.at,
        });
      }
    }
    // No head: nothing was ever appended.
    return { changes, last: 0 };
  }

  /**
   * Deletes changes stored before `cutoff`, oldest first, at most `limit` of them: bounded work for
   * the run that calls it. Returns how many went.
   */
  async prune(cutoff: Date, limit: number): Promise<number> {
    const before = cutoff.toISOString();
    const filter = odata`PartitionKey eq ${PARTITION} and RowKey gt ${CHANGE_PREFIX} and RowKey lt ${AFTER_CHANGES}`;
    const expired: string[] = [];
    const pages = this.table
      .listEntities({ queryOptions: { filter, select: ['RowKey', 'at'] } })
      .byPage({ maxPageSize: Math.min(limit, LIST_PAGE_SIZE) });
    outer: for await (const page of pages) {
      for (const entity of page) {
        if (expired.length === limit || String(entity.at) >= before) break outer;
        expired.push(entity.rowKey!);
      }
    }
    for (const keys of chunks(expired, TRANSACTION_LIMIT))
      await this.table.submitTransaction(
        keys.map((rowKey): TransactionAction => ['delete', { partitionKey: PARTITION, rowKey }]),
      );
    return expired.length;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.takeBatch();
        try {
          await this.commit(batch.flatMap((append) => append.changes));
          for (const append of batch) append.resolve();
        } catch (error) {
          for (const append of batch) append.reject(error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** Waiting appends, oldest first, as many whole ones as fit in one transaction. */
  private takeBatch(): PendingAppend[] {
    const batch = [this.pending.shift()!];
    let size = batch[0].changes.length;
    while (this.pending.length > 0 && size + this.pending[0].changes.length <= CHANGES_PER_TRANSACTION) {
      size += this.pending[0].changes.length;
      batch.push(this.pending.shift()!);
    }
    return batch;
  }

  private async commit(changes: PhotoChange[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const stored = await getOrUndefined(() => this.table.getEntity(PARTITION, HEAD));
      const head = stored === undefined ? undefined : headRow.parse(stored);
      const last = head === undefined ? 0 : Number(head.last);
      const newHead = { partitionKey: PARTITION, rowKey: HEAD, last: String(last + changes.length) };
      const actions: TransactionAction[] = changes.map((change, index) => [
        'create',
        {
          partitionKey: PARTITION,
          rowKey: changeKey(last + 1 + index),
          userId: change.userId,
          result: change.result,
          sha256: change.sha256 ?? '',
          at: change.at,
        },
      ]);
      actions.push(
        head === undefined ? ['create', newHead] : ['update', newHead, 'Replace', { etag: head.etag }],
      );
      try {
        await this.table.submitTransaction(actions);
        return;
      } catch (error) {
        // Another process took the number first (its head ETag or row won): read the head again.
        if (!(isPreconditionFailed(error) || isConflict(error)) || attempt === MAX_TRIES) throw error;
        await sleep(Math.random() * 10 * Math.min(attempt, 10));
      }
    }
  }
}
