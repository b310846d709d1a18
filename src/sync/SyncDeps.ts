import type { AppServices } from '../app/AppServices';
import { listGroupMemberPages } from '../graph/listGroupMemberPages';
import { listUserChanges } from '../graph/listUserChanges';
import type { PlannerDeps } from './planRun';
import type { PhotoWorkerDeps } from './processPhotoJob';
import type { PurgePlannerDeps } from './planPurge';
import { SyncLog, type Logger } from './SyncLog';

/** Wires the plain sync modules to the process's services: the functions stay thin adapters. */
export function plannerDeps(services: AppServices, logger: Logger): PlannerDeps {
  return {
    listUserChanges: (deltaLink) => listUserChanges(services.graphClient, services.graphTimeoutMs, deltaLink),
    deltaLinks: services.deltaLinks,
    listMemberPages: (groupId) =>
      listGroupMemberPages(services.graphClient, groupId, services.graphTimeoutMs),
    identities: services.identities,
    runs: services.runs,
    settings: services.settings,
    scope: services.scope,
    photoJobs: services.photoJobs,
    changes: services.changes,
    historyDays: services.config.historyDays,
    log: new SyncLog(logger),
    removalLimit: services.config.removalLimit,
    retention: {
      events: services.events,
      settings: services.settings,
      runs: services.runs,
      historyDays: services.config.historyDays,
    },
  };
}

export function photoWorkerDeps(services: AppServices, logger: Logger): PhotoWorkerDeps {
  return {
    graph: services.photoGraph,
    identities: services.identities,
    photoBlobs: services.photoBlobs,
    events: services.events,
    changes: services.changes,
    runs: services.runs,
    settings: services.settingsCache,
    log: new SyncLog(logger),
    recheckDays: services.config.recheckDays,
  };
}

export function purgePlannerDeps(services: AppServices, logger: Logger): PurgePlannerDeps {
  return {
    identities: services.identities,
    photoBlobs: services.photoBlobs,
    runs: services.runs,
    photoJobs: services.photoJobs,
    log: new SyncLog(logger),
  };
}
