import type { PhotoDecision, StoredPhoto } from '../domain/PhotoDecision';
import type { PhotoOutcome } from '../domain/PhotoOutcome';
import type { DirectoryUser } from '../graph/DirectoryUser';

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

export function storedPhotoOf(entity: UserEntity | undefined): StoredPhoto {
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

/** The core attributes of a listed user, as the record keeps them. */
export function coreFields(user: DirectoryUser, syncedAt: string): EntityFields {
  return {
    displayName: user.displayName ?? '',
    givenName: user.givenName ?? '',
    surname: user.surname ?? '',
    mail: user.mail ?? '',
    userPrincipalName: user.userPrincipalName ?? '',
    userPrincipalNameKey: (user.userPrincipalName ?? '').toLowerCase(),
    accountEnabled: user.accountEnabled ?? false,
    coreSyncedAt: syncedAt,
  };
}
