import { odata, type TableClient } from '@azure/data-tables';
import {
  DEFAULT_SETTINGS,
  settingsChanges,
  settingsFromRecord,
  type SettingsPatch,
  type SyncSettings,
} from '../domain/SyncSettings';
import { newestFirstKey } from '../domain/Run';
import { getOrUndefined, isConflict, isPreconditionFailed } from './StorageErrors';

const PARTITION = 'settings';
const ROW = 'photoSync';
const AUDIT_PARTITION = 'audit';

export interface StoredSettings extends SyncSettings {
  etag: string;
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface SettingsChange {
  key: keyof SyncSettings;
  from: boolean;
  to: boolean;
}

export class SettingsPreconditionFailed extends Error {
  constructor() {
    super('The settings were changed by someone else since they were read (If-Match does not match).');
    this.name = 'SettingsPreconditionFailed';
  }
}

/** The two settings as one entity; its ETag is the settings' ETag for optimistic concurrency. */
export class SettingsStore {
  constructor(private readonly table: TableClient) {}

  async read(): Promise<StoredSettings> {
    const existing = await getOrUndefined(() =>
      this.table.getEntity<Record<string, unknown>>(PARTITION, ROW),
    );
    if (existing !== undefined) return toStored(existing);
    // A new install has no record: store the defaults, so there is an ETag to match against.
    try {
      await this.table.createEntity({ partitionKey: PARTITION, rowKey: ROW, ...DEFAULT_SETTINGS });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return toStored(await this.table.getEntity<Record<string, unknown>>(PARTITION, ROW));
  }

  /**
   * Applies a patch if the stored ETag still matches (`ifMatch`, or the one just read) and records
   * what changed, when and by whom.
   */
  async update(
    patch: SettingsPatch,
    ifMatch: string | undefined,
    actor: string,
    now = new Date(),
  ): Promise<{ settings: StoredSettings; changes: SettingsChange[] }> {
    const current = await this.read();
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== current.etag)
      throw new SettingsPreconditionFailed();
    const next: SyncSettings = {
      userPhotos: patch.userPhotos ?? current.userPhotos,
      syncUserPhotos: patch.syncUserPhotos ?? current.syncUserPhotos,
    };
    const changes = settingsChanges(current, next);
    if (changes.length === 0) return { settings: current, changes };
    const updatedAt = now.toISOString();
    try {
      await this.table.updateEntity(
        { partitionKey: PARTITION, rowKey: ROW, ...next, updatedAt, updatedBy: actor },
        'Merge',
        { etag: current.etag },
      );
    } catch (error) {
      if (isPreconditionFailed(error)) throw new SettingsPreconditionFailed();
      throw error;
    }
    await this.table.createEntity({
      partitionKey: AUDIT_PARTITION,
      rowKey: `${newestFirstKey(now)}-${Math.random().toString(16).slice(2, 8)}`,
      at: updatedAt,
      by: actor,
      changes: JSON.stringify(changes),
    });
    return { settings: await this.read(), changes };
  }

  /** The change history, newest first. */
  async history(top = 50): Promise<Array<{ at: string; by: string; changes: SettingsChange[] }>> {
    const pages = this.table
      .listEntities<{ at: string; by: string; changes: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${AUDIT_PARTITION}` },
      })
      .byPage({ maxPageSize: top });
    for await (const page of pages)
      return page.map((row) => ({
        at: row.at,
        by: row.by,
        changes: JSON.parse(row.changes) as SettingsChange[],
      }));
    return [];
  }
}

function toStored(entity: Record<string, unknown>): StoredSettings {
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  return {
    ...settingsFromRecord(entity),
    etag: String(entity.etag),
    updatedAt: text(entity.updatedAt),
    updatedBy: text(entity.updatedBy),
  };
}
