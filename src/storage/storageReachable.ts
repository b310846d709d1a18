import { answersWithin } from '../domain/answersWithin';
import type { SettingsStore } from './SettingsStore';
import type { StorageClients } from './StorageClients';

const CHECK_TIMEOUT_MS = 5_000;

/** Whether the app's storage answers: its settings table, photo job queue and photo container. */
export function storageReachable(deps: {
  settings: Pick<SettingsStore, 'read'>;
  storage: Pick<StorageClients, 'queues' | 'photoContainer'>;
}): Promise<boolean> {
  return answersWithin(
    Promise.all([
      deps.settings.read(),
      deps.storage.queues.photoJobs.getProperties(),
      deps.storage.photoContainer.getProperties(),
    ]),
    CHECK_TIMEOUT_MS,
  );
}
