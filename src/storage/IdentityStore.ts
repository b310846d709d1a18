import { odata, type TableClient, type TableEntityResult, type TransactionAction } from '@azure/data-tables';
import type { PhotoDecision, StoredPhoto } from '../domain/PhotoDecision';
import type { PhotoOutcome } from '../domain/PhotoOutcome';
import type { PlannedPhotoState } from '../domain/PhotoJob';
import type { DirectoryUser } from '../graph/DirectoryUser';
import { chunks } from '../domain/chunks';
import { getOrUndefined } from './StorageErrors';
import { isObjectId } from '../domain/UserId';
import { LIST_PAGE_SIZE, TRANSACTION_LIMIT } from './TableLimits';
import { searchTermsText } from '../domain/SearchTerms';
import { mapWithConcurrency } from '../sync/mapWithConcurrency';
import type { UserSearchIndex } from './UserSearchIndex';

/** A user's identity record as stored: core attributes and photo state. Absent text is ''. */
export interface UserEntity {
  partitionKey: string;
  rowKey: string;
  displayName?: string;
  givenName?: string;
  surname?: string;
  mail?: string;
  userPrincipalName?: string;
  /** `userPrincipalName` in lowercase: Entra compares UPNs case-insensitively, Table Storage does not. */
  userPrincipalNameKey?: string;
  accountEnabled?: boolean;
  coreSyncedAt?: string;
  /** False once a whole listing no longer had the user (set with the departure's photo removal). */
  inDirectory?: boolean;
  departedAt?: string;
  /** The terms the search index holds for this user, one per line (absent: not indexed yet). */
  searchTerms?: string;
  photoSha256?: string;
  photoEtag?: string;
  photoContentType?: string;
  photoBytes?: number;
  photoVerifiedAt?: string;
  lastResult?: PhotoOutcome;
  lastRunId?: string;
  lastCheckedAt?: string;
  lastChangedAt?: string;
  lastErrorCode?: string;
  lastErrorMessage?: string;
}

export type EntityFields = Omit<UserEntity, 'partitionKey' | 'rowKey'>;

/**
 * Records are spread over 16 partitions by the first hex digit of the object id: a partition's
 * throughput is limited, and one transaction can write many users of the same partition.
 */
export function partitionOf(userId: string): string {
  return userId.charAt(0).toLowerCase();
}

function groupByPartition<T>(items: readonly T[], userIdOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const partitionKey = partitionOf(userIdOf(item));
    const group = groups.get(partitionKey) ?? [];
    group.push(item);
    groups.set(partitionKey, group);
  }
  return groups;
}

export function storedPhotoOf(entity: EntityFields | undefined): StoredPhoto {
  if (entity === undefined || !entity.photoSha256) return {};
  return {
    sha256: entity.photoSha256,
    etag: entity.photoEtag || undefined,
    verifiedAt: entity.photoVerifiedAt ? new Date(entity.photoVerifiedAt) : undefined,
  };
}

/** The fields one photo decision writes. A failure writes only its error: the stored photo stays. */
export function photoFields(decision: PhotoDecision, runId: string, now: Date): EntityFields {
  const at = now.toISOString();
  const checked: EntityFields = {
    lastResult: decision.outcome,
    lastRunId: runId,
    lastCheckedAt: at,
    lastErrorCode: '',
    lastErrorMessage: '',
  };
  switch (decision.action) {
    case 'writePhoto':
      return {
        ...checked,
        photoSha256: decision.photo.sha256,
        photoEtag: decision.etag,
        photoContentType: decision.photo.contentType,
        photoBytes: decision.photo.bytes.length,
        photoVerifiedAt: at,
        lastChangedAt: at,
      };
    case 'keepEtag':
      return { ...checked, photoEtag: decision.etag, photoVerifiedAt: at };
    case 'deletePhoto':
      return {
        ...checked,
        photoSha256: '',
        photoEtag: '',
        photoContentType: '',
        photoBytes: 0,
        photoVerifiedAt: '',
        lastChangedAt: at,
      };
    case 'none':
      return decision.outcome === 'failed'
        ? { ...checked, lastErrorCode: decision.error.code, lastErrorMessage: decision.error.message }
        : checked;
  }
}

const READS_IN_FLIGHT = 32;

function coreFields(user: DirectoryUser, syncedAt: string): EntityFields {
  return {
    searchTerms: searchTermsText(user),
    displayName: user.displayName ?? '',
    givenName: user.givenName ?? '',
    surname: user.surname ?? '',
    mail: user.mail ?? '',
    userPrincipalName: user.userPrincipalName ?? '',
    userPrincipalNameKey: (user.userPrincipalName ?? '').toLowerCase(),
    accountEnabled: user.accountEnabled ?? false,
    coreSyncedAt: syncedAt,
    // Listed again (restored from the recycle bin): back in the directory.
    inDirectory: true,
    departedAt: '',
  };
}

/** What a check job's users are planned with: the fields a check decides from, but the error text. */
const PLANNED_STATE_FIELDS = [
  'photoSha256',
  'photoEtag',
  'photoVerifiedAt',
  'lastResult',
  'lastRunId',
  'lastErrorCode',
] as const satisfies ReadonlyArray<keyof PlannedPhotoState>;

const PHOTO_STATE_FIELDS = ['inDirectory', 'departedAt', 'lastErrorMessage', ...PLANNED_STATE_FIELDS];

/** The planned state of a stored user: their record's photo fields, the empty ones left out. */
function plannedStateOf(entity: UserEntity): PlannedPhotoState {
  const state: PlannedPhotoState = {};
  for (const field of PLANNED_STATE_FIELDS) {
    const value = entity[field];
    if (value) Object.assign(state, { [field]: value });
  }
  return state;
}

/**
 * A stored user as the photo-job pass sees it. `departed`: not in the directory, as recorded
 * (`departureRecorded`) or as this run's whole full listing found by leaving the user out.
 */
export interface PhotoJobUser {
  userId: string;
  departed: boolean;
  departureRecorded: boolean;
  hasPhoto: boolean;
  /** Handed to the user's check job, so that it need not read the record again. */
  stored: PlannedPhotoState;
}

/**
 * What the run's listing knows. Users it delivered are stamped at or after `since`. `whole`: it
 * did not break off. `full`: it was a round of every user, so a whole one that left a user out
 * found them departed; a delta round leaves out every user who did not change.
 */
export interface ListingKnowledge {
  since: Date;
  full: boolean;
  whole: boolean;
}

export interface UserPage {
  users: UserEntity[];
  next: string | null;
}

export class IdentityStore {
  constructor(
    private readonly table: TableClient,
    private readonly search: Pick<UserSearchIndex, 'update'>,
  ) {}

  /**
   * Core attributes of one page of users, merged so photo fields are kept; one transaction per
   * partition and 100 users. The search index follows here, the one place they are written: its
   * rows first, then the record saying which terms are indexed (a write cut between is redone).
   */
  async upsertCoreAttributes(users: readonly DirectoryUser[], syncedAt: Date): Promise<void> {
    const at = syncedAt.toISOString();
    const updates = users.map((user) => ({ userId: user.id, fields: coreFields(user, at) }));
    const stored = await this.getMany(
      users.map((user) => user.id),
      ['RowKey', 'searchTerms'],
    );
    await this.search.update(
      updates.map(({ userId, fields }) => ({
        userId,
        before: stored.get(userId)?.searchTerms,
        after: fields.searchTerms ?? '',
      })),
    );
    await this.mergeAll(updates);
  }

  /** Several records by object id, point reads a few at a time; unknown ids are absent. */
  async getMany(userIds: readonly string[], select?: string[]): Promise<Map<string, UserEntity>> {
    const found = await mapWithConcurrency(userIds, READS_IN_FLIGHT, (userId) => this.get(userId, select));
    return new Map(found.filter((user) => user !== undefined).map((user) => [user.rowKey, user]));
  }

  async writePhotoFields(updates: ReadonlyArray<{ userId: string; fields: EntityFields }>): Promise<void> {
    await this.mergeAll(updates);
  }

  /**
   * The photo state of each user, for a job that does not carry it (a removal job) or may not use
   * it (a repeated delivery): one key-range query per partition the users are in. The planner cuts
   * jobs from consecutive row keys (`listPhotoJobUsers`), so a job's range holds its own users and,
   * at most, users no longer in the directory without a photo: a range scan, where twenty point
   * reads would be twenty requests and an `or` of row keys a scan of the whole partition.
   */
  async readPhotoStates(userIds: readonly string[]): Promise<Map<string, UserEntity | undefined>> {
    const wanted = new Set(userIds);
    const states = new Map<string, UserEntity | undefined>(userIds.map((userId) => [userId, undefined]));
    await Promise.all(
      [...groupByPartition([...wanted], (userId) => userId)].map(async ([partitionKey, ids]) => {
        const sorted = [...ids].sort();
        const [first, last] = [sorted[0], sorted[sorted.length - 1]];
        const filter = odata`PartitionKey eq ${partitionKey} and RowKey ge ${first} and RowKey le ${last}`;
        for await (const entity of this.table.listEntities<UserEntity>({
          queryOptions: { filter, select: ['RowKey', ...PHOTO_STATE_FIELDS] },
        })) {
          if (wanted.has(entity.rowKey)) states.set(entity.rowKey, entity);
        }
      }),
    );
    return states;
  }

  /**
   * The users a run's photo jobs are cut from, in table order (partition, then row key), a page at
   * a time: every stored user, read from the table rather than from the listing, because a delta
   * round names only the users that changed while every user's photo is checked each run. Each
   * comes with the photo state their check decides from. A listing that broke off (delta or full)
   * leaves out those it did not deliver: they are left as they are.
   */
  async *listPhotoJobUsers(listing: ListingKnowledge): AsyncGenerator<PhotoJobUser[]> {
    const sinceText = listing.since.toISOString();
    const pages = this.table
      .listEntities<UserEntity>({
        queryOptions: { select: ['RowKey', 'coreSyncedAt', 'inDirectory', ...PLANNED_STATE_FIELDS] },
      })
      .byPage({ maxPageSize: LIST_PAGE_SIZE });
    for await (const page of pages) {
      const users = page.flatMap((entity): PhotoJobUser[] => {
        const departureRecorded = entity.inDirectory === false;
        const notListed = (entity.coreSyncedAt ?? '') < sinceText;
        // After a listing that broke off, only what it delivered is known: the rest stay as they are.
        if (notListed && !listing.whole && !departureRecorded) return [];
        return [
          {
            userId: entity.rowKey,
            // A whole delta round leaves out the unchanged; a whole full round only the departed.
            departed: departureRecorded || (notListed && listing.full),
            departureRecorded,
            hasPhoto: Boolean(entity.photoSha256),
            stored: plannedStateOf(entity),
          },
        ];
      });
      if (users.length > 0) yield users;
    }
  }

  /**
   * Records that these users left the directory (`inDirectory: false`, `departedAt`), keeping their
   * core attributes and photo fields; ids not stored, or already recorded as departed, are left
   * alone. Returns how many were recorded.
   */
  async markDeparted(userIds: readonly string[], at: Date): Promise<number> {
    const stored = await this.getMany(userIds, ['RowKey', 'inDirectory']);
    const departing = [...stored.values()].filter((user) => user.inDirectory !== false);
    await this.mergeAll(
      departing.map((user) => ({
        userId: user.rowKey,
        fields: { inDirectory: false, departedAt: at.toISOString() },
      })),
    );
    return departing.length;
  }

  /**
   * The users a purge run removes photos from, in table order, a page of ids at a time: those with
   * a stored photo and those this run already removed one from, so a planning repeated after a
   * crash cuts the very same jobs.
   */
  async *listPurgeUsers(runId: string): AsyncGenerator<string[]> {
    const filter = odata`photoSha256 gt ${''} or (lastRunId eq ${runId} and lastResult eq ${'removed'})`;
    const pages = this.table
      .listEntities<UserEntity>({ queryOptions: { filter, select: ['RowKey'] } })
      .byPage({ maxPageSize: LIST_PAGE_SIZE });
    for await (const page of pages) if (page.length > 0) yield page.map((entity) => entity.rowKey);
  }

  async get(userId: string, select?: string[]): Promise<UserEntity | undefined> {
    return getOrUndefined(() =>
      this.table.getEntity<UserEntity>(
        partitionOf(userId),
        userId,
        select ? { queryOptions: { select } } : undefined,
      ),
    );
  }

  /** By object id (a point read) or by user principal name (a query). */
  async find(userId: string): Promise<UserEntity | undefined> {
    return isObjectId(userId) ? this.get(userId.toLowerCase()) : this.findByPrincipalName(userId);
  }

  async findByPrincipalName(userPrincipalName: string): Promise<UserEntity | undefined> {
    // The exact match finds records written before the key existed, until the next run adds it.
    const key = userPrincipalName.toLowerCase();
    const filter = odata`userPrincipalNameKey eq ${key} or userPrincipalName eq ${userPrincipalName}`;
    const pages = this.table
      .listEntities<UserEntity>({ queryOptions: { filter } })
      .byPage({ maxPageSize: 1 });
    for await (const page of pages) {
      if (page.length > 0) return page[0];
    }
    return undefined;
  }

  async list(options: {
    top: number;
    next?: string;
    /** Only users whose stored outcome is one of these. */
    results?: readonly PhotoOutcome[];
    /** Only users a whole listing no longer had. */
    departedOnly?: boolean;
  }): Promise<UserPage> {
    const filters = [
      options.results === undefined
        ? undefined
        : `(${options.results.map((result) => odata`lastResult eq ${result}`).join(' or ')})`,
      options.departedOnly === true ? odata`inDirectory eq ${false}` : undefined,
    ].filter((filter) => filter !== undefined);
    const filter = filters.length === 0 ? undefined : filters.join(' and ');
    const pages = this.table
      .listEntities<UserEntity>({ queryOptions: filter ? { filter } : undefined })
      .byPage({ maxPageSize: options.top, continuationToken: options.next });
    // A filtered query may answer with an empty page and a continuation: keep reading until a user shows.
    for await (const page of pages) {
      const users = page as Array<TableEntityResult<UserEntity>>;
      if (users.length > 0 || page.continuationToken === undefined)
        return { users, next: page.continuationToken ?? null };
    }
    return { users: [], next: null };
  }

  private async mergeAll(updates: ReadonlyArray<{ userId: string; fields: EntityFields }>): Promise<void> {
    const transactions: TransactionAction[][] = [];
    for (const [partitionKey, inPartition] of groupByPartition(updates, (update) => update.userId)) {
      const actions = inPartition.map(({ userId, fields }): TransactionAction => [
        'upsert',
        { partitionKey, rowKey: userId, ...fields },
        'Merge',
      ]);
      transactions.push(...chunks(actions, TRANSACTION_LIMIT));
    }
    await Promise.all(transactions.map((actions) => this.table.submitTransaction(actions)));
  }
}
