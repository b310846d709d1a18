import { newRunId, type Run, type RunTrigger } from '../domain/Run';
import { isPhotoSyncActive } from '../domain/SyncSettings';
import type { RunStore } from '../storage/RunStore';
import type { SettingsStore } from '../storage/SettingsStore';
import type { SyncLog } from './SyncLog';

/** Opens a run; whether it syncs photos is decided here, from the two settings at this moment. */
export async function startRun(
  trigger: RunTrigger,
  deps: { settings: SettingsStore; runs: RunStore; log: SyncLog },
  now = new Date(),
): Promise<Run> {
  const settings = await deps.settings.read();
  const run = await deps.runs.create(newRunId(now), trigger, isPhotoSyncActive(settings), now);
  deps.log.write('info', 'runStarted', {
    runId: run.runId,
    trigger,
    photoSyncActive: run.photoSyncActive,
    reason:
      trigger === 'purge'
        ? 'purge: every stored photo is deleted, nothing is asked of Graph'
        : run.photoSyncActive
          ? 'userPhotos and syncUserPhotos are on'
          : `photo sync off (userPhotos=${settings.userPhotos}, syncUserPhotos=${settings.syncUserPhotos}): core attributes only`,
  });
  return run;
}
