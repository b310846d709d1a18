import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { chunks } from '../domain/chunks';
import { parseSearchTermsText, PREFIX_END, searchKey } from '../domain/SearchTerms';
import { isNotFound } from './StorageErrors';
import { TRANSACTION_LIMIT } from './TableLimits';

/** One user's indexed terms (`searchTermsText`) before and after a write of their core attributes. */
export interface SearchTermChange {
  userId: string;
  /** Absent for a user whose record holds no indexed terms yet. */
  before: string | undefined;
  after: string;
}

/** An index row: one (term, user) pair. */
export interface SearchHit {
  rowKey: string;
  userId: string;
}

interface SearchRow {
  partitionKey: string;
  rowKey: string;
  userId: string;
  [property: string]: unknown;
}

/** The row key of a (term, user) pair: the term's key, then the user. */
export function searchRowKey(term: string, userId: string): string {
  return `${searchKey(term)},${userId}`;
}

/** Rows of one term are found by its first key character: a prefix query reads one partition. */
function rowOf(term: string, userId: string): SearchRow {
  return { partitionKey: searchKey(term).charAt(0), rowKey: searchRowKey(term, userId), userId };
}

/**
 * The search index of `GET /api/users?search=`: a row per (term, user), keyed so that every term
 * starting with a prefix is one key-range query. Kept in step by the identity store, the one place
 * core attributes are written: a changed name adds its new terms and removes its old ones.
 */
export class UserSearchIndex {
  constructor(private readonly table: TableClient) {}

  async update(changes: readonly SearchTermChange[]): Promise<void> {
    const added: SearchRow[] = [];
    const removed: SearchRow[] = [];
    for (const change of changes) {
      if (change.before === change.after) continue;
      const [before, after] = [parseSearchTermsText(change.before), parseSearchTermsText(change.after)];
      const userId = change.userId;
      for (const term of after) if (!before.has(term)) added.push(rowOf(term, userId));
      for (const term of before) if (!after.has(term)) removed.push(rowOf(term, userId));
    }
    await Promise.all([
      ...this.transactions(added, 'upsert').map((actions) => this.table.submitTransaction(actions)),
      ...this.transactions(removed, 'delete').map((actions) => this.deleteAll(actions)),
    ]);
  }

  /**
   * The rows whose term starts with `search` (normalized), in key order, after the row key
   * `after`, a page at a time.
   */
  async *rows(search: string, after: string | undefined, pageSize: number): AsyncGenerator<SearchHit[]> {
    const from = searchKey(search);
    const partitionKey = from.charAt(0);
    const lower = after === undefined ? odata`RowKey ge ${from}` : odata`RowKey gt ${after}`;
    const filter = `${odata`PartitionKey eq ${partitionKey}`} and ${lower} and ${odata`RowKey lt ${from + PREFIX_END}`}`;
    const pages = this.table
      .listEntities<SearchRow>({ queryOptions: { filter, select: ['RowKey', 'userId'] } })
      .byPage({ maxPageSize: pageSize });
    for await (const page of pages) {
      if (page.length > 0) yield page.map((row) => ({ rowKey: row.rowKey, userId: row.userId }));
    }
  }

  private transactions(rows: readonly SearchRow[], kind: 'upsert' | 'delete'): TransactionAction[][] {
    const byPartition = new Map<string, TransactionAction[]>();
    for (const row of rows) {
      const actions = byPartition.get(row.partitionKey) ?? [];
      actions.push(kind === 'upsert' ? ['upsert', row, 'Replace'] : ['delete', row]);
      byPartition.set(row.partitionKey, actions);
    }
    return [...byPartition.values()].flatMap((actions) => chunks(actions, TRANSACTION_LIMIT));
  }

  /** A row already gone (an earlier write that stopped midway) is no reason to keep the others. */
  private async deleteAll(actions: TransactionAction[]): Promise<void> {
    try {
      await this.table.submitTransaction(actions);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      for (const [, row] of actions)
        await this.table.deleteEntity(row.partitionKey, row.rowKey).catch((failure: unknown) => {
          if (!isNotFound(failure)) throw failure;
        });
    }
  }
}
