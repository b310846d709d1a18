import type { AppServices } from '../app/AppServices';
import { listUserPages } from '../graph/listUserPages';
import type { PlannerDeps } from './planRun';
import type { PhotoWorkerDeps } from './processPhotoJob';
import { SyncLog, type Logger } from './SyncLog';

/** Wires the plain sync modules to the process's services: the functions stay thin adapters. */
export function plannerDeps(services: AppServices, logger: Logger): PlannerDeps {
  return {
    listUserPages: () => listUserPages(services.graphClient, services.graphTimeoutMs),
    identities: services.identities,
    runs: services.runs,
    photoJobs: services.photoJobs,
    log: new SyncLog(logger),
  };
}

export function photoWorkerDeps(services: AppServices, logger: Logger): PhotoWorkerDeps {
  return {
    graph: services.photoGraph,
    identities: services.identities,
    photoBlobs: services.photoBlobs,
    events: services.events,
    runs: services.runs,
    settings: services.settings,
    log: new SyncLog(logger),
    recheckDays: services.config.recheckDays,
  };
}
