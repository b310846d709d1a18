import { z } from 'zod';
import { isObjectId } from './UserId';

/** The settings (docs/design.md, "Settings"). Photos sync only when both toggles are on. */
export interface SyncSettings {
  /** The environment's "User Photos" feature (formerly "User Picture"). */
  userPhotos: boolean;
  /** The automation's "Sync user photos" toggle. */
  syncUserPhotos: boolean;
  /** Only this Entra group's transitive members have their photos synced; null = every user. */
  photoGroupId: string | null;
  /** This group's transitive members never have a photo synced or kept; wins over photoGroupId. */
  photoExcludeGroupId: string | null;
}

export const DEFAULT_SETTINGS: SyncSettings = {
  userPhotos: false,
  syncUserPhotos: false,
  photoGroupId: null,
  photoExcludeGroupId: null,
};

export const SETTING_KEYS = ['userPhotos', 'syncUserPhotos', 'photoGroupId', 'photoExcludeGroupId'] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];

export type SettingValue = SyncSettings[SettingKey];

export function isPhotoSyncActive(settings: Pick<SyncSettings, 'userPhotos' | 'syncUserPhotos'>): boolean {
  return settings.userPhotos && settings.syncUserPhotos;
}

/**
 * Reads a stored settings record of any age: a missing key reads as false (a group as null), and
 * a record written before the "User Picture" → "User Photos" rename carries `userPicture` over.
 */
export function settingsFromRecord(record: Record<string, unknown> | undefined): SyncSettings {
  const flag = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);
  // Table Storage cannot store null: an absent or empty group is no group.
  const group = (value: unknown): string | null =>
    typeof value === 'string' && isObjectId(value) ? value.toLowerCase() : null;
  return {
    userPhotos: flag(record?.userPhotos) ?? flag(record?.userPicture) ?? false,
    syncUserPhotos: flag(record?.syncUserPhotos) ?? false,
    photoGroupId: group(record?.photoGroupId),
    photoExcludeGroupId: group(record?.photoExcludeGroupId),
  };
}

/** As Table Storage keeps them: a group of null is the empty string. */
export function settingsToRecord(settings: SyncSettings): Record<string, boolean | string> {
  return {
    userPhotos: settings.userPhotos,
    syncUserPhotos: settings.syncUserPhotos,
    photoGroupId: settings.photoGroupId ?? '',
    photoExcludeGroupId: settings.photoExcludeGroupId ?? '',
  };
}

const groupId = z
  .string()
  .refine(isObjectId, { message: 'a group is its Entra object id (a GUID), or null for none' })
  .transform((value) => value.toLowerCase())
  .nullable()
  .optional();

/** A PATCH body: any of the settings, each of its type, nothing else. */
export const settingsPatchSchema = z
  .strictObject({
    userPhotos: z.boolean().optional(),
    syncUserPhotos: z.boolean().optional(),
    photoGroupId: groupId,
    photoExcludeGroupId: groupId,
  })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: `name at least one of ${SETTING_KEYS.join(', ')}`,
  });

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export function applyPatch(current: SyncSettings, patch: SettingsPatch): SyncSettings {
  const next = { ...current };
  for (const key of SETTING_KEYS) if (patch[key] !== undefined) Object.assign(next, { [key]: patch[key] });
  return next;
}

export interface SettingChange {
  key: SettingKey;
  from: SettingValue;
  to: SettingValue;
}

/** The changes a patch makes, `old → new`, for the settings log and history. */
export function settingsChanges(before: SyncSettings, after: SyncSettings): SettingChange[] {
  return SETTING_KEYS.filter((key) => before[key] !== after[key]).map((key) => ({
    key,
    from: before[key],
    to: after[key],
  }));
}
