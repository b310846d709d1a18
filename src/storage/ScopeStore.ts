import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { chunks } from '../domain/chunks';
import { BucketDigests, bucketRange } from '../domain/ScopeDigest';
import { getOrUndefined } from './StorageErrors';
import { LIST_PAGE_SIZE, TRANSACTION_LIMIT } from './TableLimits';

/** The two scope groups: members of `include` get photos, members of `exclude` never do. */
export type ScopeKind = 'include' | 'exclude';

const SUMMARY_PARTITION = 'summary';

interface SummaryEntity {
  partitionKey: string;
  rowKey: string;
  groupId: string;
  digests: Uint8Array;
}

/**
 * Each scope group's transitive user members as the last complete listing found them, one row per
 * member (partition `<kind>-<first hex digit>`, row key the object id), so that they read back in
 * the identity table's key order; and one summary row per group with the digest of each bucket
 * of them (see BucketDigests), which is what a listing is compared with.
 */
export class ScopeStore {
  constructor(private readonly table: TableClient) {}

  async digests(kind: ScopeKind): Promise<{ groupId: string; digests: BucketDigests } | undefined> {
    const entity = await getOrUndefined(() => this.table.getEntity<SummaryEntity>(SUMMARY_PARTITION, kind));
    const digests = entity === undefined ? undefined : BucketDigests.fromBytes(entity.digests);
    return entity === undefined || digests === undefined ? undefined : { groupId: entity.groupId, digests };
  }

  async saveDigests(kind: ScopeKind, groupId: string, digests: BucketDigests): Promise<void> {
    await this.table.upsertEntity<SummaryEntity>(
      { partitionKey: SUMMARY_PARTITION, rowKey: kind, groupId, digests: digests.toBytes() },
      'Replace',
    );
  }

  /** The stored members of one bucket: one key-range query. */
  async bucketMembers(kind: ScopeKind, bucket: number): Promise<string[]> {
    const { from, before } = bucketRange(bucket);
    const filter = odata`PartitionKey eq ${partitionOf(kind, from)} and RowKey ge ${from} and RowKey lt ${before}`;
    const members: string[] = [];
    for await (const entity of this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] } }))
      members.push(String(entity.rowKey));
    return members;
  }

  /** Adds and deletes members of one bucket (one partition): transactions of up to 100. */
  async changeMembers(kind: ScopeKind, added: readonly string[], deleted: readonly string[]): Promise<void> {
    const actions: TransactionAction[] = [
      ...added.map((userId): TransactionAction => [
        'upsert',
        { partitionKey: partitionOf(kind, userId), rowKey: userId },
        'Replace',
      ]),
      ...deleted.map((userId): TransactionAction => [
        'delete',
        { partitionKey: partitionOf(kind, userId), rowKey: userId },
      ]),
    ];
    for (const transaction of chunks(actions, TRANSACTION_LIMIT))
      await this.table.submitTransaction(transaction);
  }

  /** Every stored member, in key order, a page at a time. */
  async *members(kind: ScopeKind): AsyncGenerator<string[]> {
    const filter = odata`PartitionKey gt ${`${kind}-`} and PartitionKey lt ${`${kind}.`}`;
    const pages = this.table
      .listEntities({ queryOptions: { filter, select: ['RowKey'] } })
      .byPage({ maxPageSize: LIST_PAGE_SIZE });
    for await (const page of pages) if (page.length > 0) yield page.map((entity) => String(entity.rowKey));
  }
}

function partitionOf(kind: ScopeKind, userId: string): string {
  return `${kind}-${userId.charAt(0)}`;
}
