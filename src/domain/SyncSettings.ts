import { z } from 'zod';

/** The two settings of SPEC §1. Photos sync only when both are on. */
export interface SyncSettings {
  /** The environment's "User Photos" feature (formerly "User Picture"). */
  userPhotos: boolean;
  /** The automation's "Sync user photos" toggle. */
  syncUserPhotos: boolean;
}

export const DEFAULT_SETTINGS: SyncSettings = { userPhotos: false, syncUserPhotos: false };

export const SETTING_KEYS = ['userPhotos', 'syncUserPhotos'] as const;

export function isPhotoSyncActive(settings: SyncSettings): boolean {
  return settings.userPhotos && settings.syncUserPhotos;
}

/**
 * Reads a stored settings record of any age: a missing key reads as false, and a record written
 * before the "User Picture" → "User Photos" rename carries `userPicture` over.
 */
export function settingsFromRecord(record: Record<string, unknown> | undefined): SyncSettings {
  const flag = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);
  return {
    userPhotos: flag(record?.userPhotos) ?? flag(record?.userPicture) ?? false,
    syncUserPhotos: flag(record?.syncUserPhotos) ?? false,
  };
}

/** A PATCH body: any of the two keys, booleans only, nothing else. */
export const settingsPatchSchema = z
  .strictObject({ userPhotos: z.boolean().optional(), syncUserPhotos: z.boolean().optional() })
  .refine((patch) => Object.keys(patch).length > 0, {
    message: 'name at least one of userPhotos, syncUserPhotos',
  });

export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

/** The changes a patch makes, `old → new`, for the settings log. */
export function settingsChanges(
  before: SyncSettings,
  after: SyncSettings,
): Array<{ key: keyof SyncSettings; from: boolean; to: boolean }> {
  return SETTING_KEYS.filter((key) => before[key] !== after[key]).map((key) => ({
    key,
    from: before[key],
    to: after[key],
  }));
}
