import type { TableClient } from '@azure/data-tables';
import { getOrUndefined } from './StorageErrors';

/** Its own partition of the settings table: nothing that reads the settings or their history sees it. */
const PARTITION = 'deltaLinks';

interface DeltaLinkEntity {
  partitionKey: string;
  rowKey: string;
  deltaLink: string;
  savedAt: string;
}

/**
 * The `@odata.deltaLink` of the last whole listing, one per listing scope (the collection and the
 * properties it tracks: a link made for other properties is not used). Written only after a
 * listing completed, so a listing that broke off is asked again from the same point.
 */
export class DeltaLinkStore {
  constructor(private readonly table: TableClient) {}

  async read(scope: string): Promise<string | undefined> {
    const entity = await getOrUndefined(() => this.table.getEntity<DeltaLinkEntity>(PARTITION, scope));
    return entity?.deltaLink || undefined;
  }

  async save(scope: string, deltaLink: string, savedAt: Date): Promise<void> {
    const entity: DeltaLinkEntity = {
      partitionKey: PARTITION,
      rowKey: scope,
      deltaLink,
      savedAt: savedAt.toISOString(),
    };
    await this.table.upsertEntity(entity, 'Replace');
  }
}
