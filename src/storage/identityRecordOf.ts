import { z } from 'zod';
import type { IdentityRecord } from '../domain/IdentityRecord';
import { PHOTO_OUTCOMES } from '../domain/PhotoOutcome';
import type { UserEntity } from './UserEntity';
import { storedPhotoError } from './storedPhotoError';

/** Table Storage keeps no null: absent text is absent or ''. */
const text = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value === '' ? null : value));

const StoredRecord = z.object({
  rowKey: z.string(),
  displayName: text,
  givenName: text,
  surname: text,
  mail: text,
  userPrincipalName: text,
  accountEnabled: z.boolean().optional(),
  photoSha256: text,
  photoContentType: text,
  photoBytes: z.number().int().nonnegative().optional(),
  lastResult: z.union([z.enum(PHOTO_OUTCOMES), z.literal('')]).optional(),
  lastRunId: text,
  lastCheckedAt: text,
  lastChangedAt: text,
  lastErrorCode: z.string().optional(),
  lastErrorMessage: z.string().optional(),
});

/** An identity record as storage gave it back, checked: what the API and the CLI read. */
export function identityRecordOf(entity: UserEntity): IdentityRecord {
  const row = StoredRecord.parse(entity);
  const present = row.photoSha256 !== null;
  return {
    userId: row.rowKey,
    displayName: row.displayName,
    givenName: row.givenName,
    surname: row.surname,
    mail: row.mail,
    userPrincipalName: row.userPrincipalName,
    accountEnabled: row.accountEnabled ?? null,
    photo: {
      sha256: row.photoSha256,
      contentType: present ? row.photoContentType : null,
      bytes: present ? (row.photoBytes ?? null) : null,
      lastResult: row.lastResult || null,
      lastRunId: row.lastRunId,
      lastCheckedAt: row.lastCheckedAt,
      lastChangedAt: row.lastChangedAt,
      lastError: storedPhotoError(row.lastErrorCode, row.lastErrorMessage),
    },
  };
}
