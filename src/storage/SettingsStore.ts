import { setTimeout as sleep } from 'node:timers/promises';
import {
  odata,
  type TableClient,
  type TableTransactionResponse,
  type TransactionAction,
} from '@azure/data-tables';
import { chunks } from '../domain/chunks';
import { TRANSACTION_LIMIT } from './TableLimits';
import { z } from 'zod';
import {
  applyPatch,
  DEFAULT_SETTINGS,
  SETTING_KEYS,
  settingsChanges,
  settingsFromRecord,
  settingsToRecord,
  type SettingChange,
  type SettingsPatch,
  type SettingValue,
  type SyncSettings,
} from '../domain/SyncSettings';
import { newestFirstKey } from '../domain/Run';
import { getOrUndefined, isConflict, isPreconditionFailed } from './StorageErrors';

const PARTITION = 'settings';
const ROW = 'photoSync';
/**
 * History rows share the settings row's partition: a table transaction spans one partition, and
 * the change and its record are written in one. '.' follows '-', so the range is exactly them.
 */
const HISTORY_PREFIX = 'history-';
const AFTER_HISTORY = 'history.';

export interface StoredSettings extends SyncSettings {
  etag: string;
  updatedAt: string | null;
  updatedBy: string | null;
}

export type SettingsChange = SettingChange;

/** One entry of `GET /api/settings/history`. */
export interface SettingsHistoryEntry {
  at: string;
  by: string;
  changes: Partial<Record<(typeof SETTING_KEYS)[number], { from: SettingValue; to: SettingValue }>>;
}

const settingValue = z.union([z.boolean(), z.string(), z.null()]);
const historyRow = z.object({
  at: z.string(),
  by: z.string(),
  changes: z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(z.partialRecord(z.enum(SETTING_KEYS), z.object({ from: settingValue, to: settingValue }))),
});

export class SettingsPreconditionFailed extends Error {
  constructor() {
    super('The settings were changed by someone else since they were read (If-Match does not match).');
    this.name = 'SettingsPreconditionFailed';
  }
}

/**
 * A `PATCH` without `If-Match` that lost to other writers this many times in a row: only a
 * stampede far beyond any admin's does that, and it is told to try again rather than spin.
 */
const UNCONDITIONAL_ATTEMPTS = 50;

export class SettingsContended extends Error {
  constructor() {
    super('The settings are being changed by many callers at once; try again in a moment.');
    this.name = 'SettingsContended';
  }
}

/** The settings as one entity; its ETag is the settings' ETag for optimistic concurrency. */
export class SettingsStore {
  constructor(private readonly table: TableClient) {}

  async read(): Promise<StoredSettings> {
    const existing = await getOrUndefined(() =>
      this.table.getEntity<Record<string, unknown>>(PARTITION, ROW),
    );
    if (existing !== undefined) return toStored(existing);
    // A new install has no record: store the defaults, so there is an ETag to match against.
    try {
      await this.table.createEntity({
        partitionKey: PARTITION,
        rowKey: ROW,
        ...settingsToRecord(DEFAULT_SETTINGS),
      });
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return toStored(await this.table.getEntity<Record<string, unknown>>(PARTITION, ROW));
  }

  /**
   * Applies a patch and records what changed, when and by whom, in the same table transaction: no
   * change without its record. With `ifMatch` (an ETag, not `*`) it applies only to those settings
   * and a concurrent change is the caller's `SettingsPreconditionFailed`. Without it the caller did
   * not ask for optimistic concurrency: a concurrent change makes it apply the patch again to the
   * settings as they are now, so it never fails for that.
   */
  async update(
    patch: SettingsPatch,
    ifMatch: string | undefined,
    actor: string,
    now = new Date(),
  ): Promise<{ settings: StoredSettings; changes: SettingsChange[] }> {
    const expected = ifMatch === '*' ? undefined : ifMatch;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.tryUpdate(patch, expected, actor, now);
      if (outcome !== 'conflict') return outcome;
      if (expected !== undefined) throw new SettingsPreconditionFailed();
      // Every conflict is another writer's success, so the attempts always end; a bound and a
      // growing, jittered pause keep a stampede of writers from spinning against each other.
      if (attempt >= UNCONDITIONAL_ATTEMPTS) throw new SettingsContended();
      await sleep(Math.random() * Math.min(attempt, 10) * 5);
    }
  }

  private async tryUpdate(
    patch: SettingsPatch,
    expected: string | undefined,
    actor: string,
    now: Date,
  ): Promise<{ settings: StoredSettings; changes: SettingsChange[] } | 'conflict'> {
    const current = await this.read();
    if (expected !== undefined && expected !== current.etag) return 'conflict';
    const next = applyPatch(current, patch);
    const changes = settingsChanges(current, next);
    if (changes.length === 0) return { settings: current, changes };
    const updatedAt = now.toISOString();
    let written: TableTransactionResponse;
    try {
      written = await this.table.submitTransaction([
        [
          'update',
          { partitionKey: PARTITION, rowKey: ROW, ...settingsToRecord(next), updatedAt, updatedBy: actor },
          'Merge',
          { etag: current.etag },
        ],
        [
          'create',
          {
            partitionKey: PARTITION,
            rowKey: `${HISTORY_PREFIX}${newestFirstKey(now)}-${Math.random().toString(16).slice(2, 10)}`,
            at: updatedAt,
            by: actor,
            changes: JSON.stringify(
              Object.fromEntries(changes.map(({ key, from, to }) => [key, { from, to }])),
            ),
          },
        ],
      ]);
    } catch (error) {
      if (isPreconditionFailed(error)) return 'conflict';
      throw error;
    }
    // The settings this change made, not whatever a later writer has made of them since.
    // Sub-responses come in the order of the actions; an update's names no row key to look it up by.
    const etag = written.subResponses[0]?.etag?.trim();
    return {
      settings: etag === undefined ? await this.read() : { ...next, etag, updatedAt, updatedBy: actor },
      changes,
    };
  }

  /** The change history, newest first, a page at a time. */
  async history(options: {
    top: number;
    next?: string;
  }): Promise<{ changes: SettingsHistoryEntry[]; next: string | null }> {
    const [from, before] = [HISTORY_PREFIX, AFTER_HISTORY];
    const pages = this.table
      .listEntities<Record<string, unknown>>({
        queryOptions: {
          filter: odata`PartitionKey eq ${PARTITION} and RowKey ge ${from} and RowKey lt ${before}`,
        },
      })
      .byPage({ maxPageSize: options.top, continuationToken: options.next });
    for await (const page of pages)
      return { changes: page.map((row) => historyRow.parse(row)), next: page.continuationToken ?? null };
    return { changes: [], next: null };
  }

  /** Deletes up to `max` history records of changes made before `before` (the rest on later calls). */
  async pruneHistoryOlderThan(before: Date, max: number): Promise<number> {
    const filter = odata`PartitionKey eq ${PARTITION} and RowKey gt ${`${HISTORY_PREFIX}${newestFirstKey(before)}`} and RowKey lt ${AFTER_HISTORY}`;
    const pages = this.table
      .listEntities({ queryOptions: { filter, select: ['RowKey'] } })
      .byPage({ maxPageSize: max });
    for await (const page of pages) {
      const actions = page
        .slice(0, max)
        .map((row): TransactionAction => ['delete', { partitionKey: PARTITION, rowKey: String(row.rowKey) }]);
      for (const transaction of chunks(actions, TRANSACTION_LIMIT))
        await this.table.submitTransaction(transaction);
      return actions.length;
    }
    return 0;
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
