import { storedPhotoError } from '../storage/storedPhotoError';
import type { UserEntity } from '../storage/IdentityStore';

export type PhotoStatus = 'present' | 'none' | 'unknown';

/** A user as the API shows it (docs/design.md, "HTTP API"): core attributes and the photo's state. */
export function userView(entity: UserEntity): Record<string, unknown> {
  const text = (value: string | undefined): string | null =>
    value === undefined || value === '' ? null : value;
  const present = Boolean(entity.photoSha256);
  const status: PhotoStatus = present
    ? 'present'
    : entity.lastResult === 'noPhoto' || entity.lastResult === 'removed'
      ? 'none'
      : 'unknown';
  return {
    id: entity.rowKey,
    displayName: text(entity.displayName),
    givenName: text(entity.givenName),
    surname: text(entity.surname),
    mail: text(entity.mail),
    userPrincipalName: text(entity.userPrincipalName),
    accountEnabled: entity.accountEnabled ?? null,
    inDirectory: entity.inDirectory ?? true,
    departedAt: text(entity.departedAt),
    photo: {
      status,
      sha256: present ? entity.photoSha256 : null,
      contentType: present ? text(entity.photoContentType) : null,
      bytes: present ? (entity.photoBytes ?? null) : null,
      lastResult: entity.lastResult ?? null,
      lastCheckedAt: text(entity.lastCheckedAt),
      lastChangedAt: text(entity.lastChangedAt),
      lastError: storedPhotoError(entity.lastErrorCode, entity.lastErrorMessage),
    },
  };
}
