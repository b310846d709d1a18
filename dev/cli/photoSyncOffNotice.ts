import type { SyncSettings } from '../../src/domain/SyncSettings';

export interface NoticeContext {
  /** The running `npm start` this sync goes through, if any. */
  hostUrl?: string;
  /** Storage that is gone with this process, so settings cannot be kept between runs. */
  inMemory: boolean;
}

/** What a run with photo sync off tells the person who started it, and how to turn it on. */
export function photoSyncOffNotice(
  settings: Pick<SyncSettings, 'userPhotos' | 'syncUserPhotos'>,
  context: NoticeContext,
): string {
  const host = context.hostUrl ?? '<host>';
  return [
    `photo sync is off: set userPhotos and syncUserPhotos to true to sync photos (now userPhotos=${settings.userPhotos}, syncUserPhotos=${settings.syncUserPhotos}):`,
    '  `npm run sync -- --photos` turns both on before it runs, or',
    `  curl -X PATCH ${host}/api/settings -H 'Content-Type: application/json' -d '{"userPhotos":true,"syncUserPhotos":true}'${context.hostUrl === undefined ? ' on a host using the same storage' : ''}.`,
    context.inMemory
      ? "  This run's storage is in memory and starts with both off: use --photos, or set AzureWebJobsStorage to keep settings between runs."
      : undefined,
    '  This run syncs core attributes only.',
  ]
    .filter((line): line is string => line !== undefined)
    .join('\n');
}
