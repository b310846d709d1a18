import type { IdentityRecord } from '../domain/IdentityRecord';

export type PhotoStatus = 'present' | 'none' | 'unknown';

/** A user as the API shows it (docs/design.md, "HTTP API"): core attributes and the photo's state. */
export function userView(record: IdentityRecord): Record<string, unknown> {
  const { photo } = record;
  const status: PhotoStatus =
    photo.sha256 !== null
      ? 'present'
      : photo.lastResult === 'noPhoto' || photo.lastResult === 'removed'
        ? 'none'
        : 'unknown';
  return {
    id: record.userId,
    displayName: record.displayName,
    givenName: record.givenName,
    surname: record.surname,
    mail: record.mail,
    userPrincipalName: record.userPrincipalName,
    accountEnabled: record.accountEnabled,
    photo: {
      status,
      sha256: photo.sha256,
      contentType: photo.contentType,
      bytes: photo.bytes,
      lastResult: photo.lastResult,
      lastCheckedAt: photo.lastCheckedAt,
      lastChangedAt: photo.lastChangedAt,
      lastError: photo.lastError,
    },
  };
}
