/**
 * Names of everything the app keeps in its storage account. Queue and container names come from
 * configuration (docs/design.md, "Configuration"); the tables are fixed. Infra creates the same
 * names (checked by a test).
 */
export const TABLES = {
  /** The identity record of each user: core attributes and photo state. */
  users: 'PhotoSyncUsers',
  /** One partition per run: the run itself and the completion marker of each photo job. */
  runs: 'PhotoSyncRuns',
  /** Runs newest first, for `GET /api/runs`. */
  runIndex: 'PhotoSyncRunIndex',
  /** The two settings, and their change history. */
  settings: 'PhotoSyncSettings',
  /** One row per (search term, user), for `GET /api/users?search=`. */
  userSearch: 'PhotoSyncUserSearch',
  /** Each user's recent photo events, for `GET /api/users/{userId}/photo/log`. */
  events: 'PhotoSyncEvents',
  /** The scope groups' transitive user members as last listed, and a digest of them per bucket. */
  scope: 'PhotoSyncScope',
  /** The photo change feed, for `GET /api/photos/changes`: one partition, in the order changes were stored. */
  changes: 'PhotoSyncChanges',
} as const;

export interface QueueNames {
  /** Photo jobs: `{ runId, jobId, userIds }`. */
  photoJobs: string;
  /** Where the queue service moves photo jobs that failed `maxDequeueCount` times. */
  photoJobsPoison: string;
  /** Requests to plan a run, from `POST /api/sync`. */
  runRequests: string;
  runRequestsPoison: string;
}

/**
 * Where the queue service, as the Functions host drives it, moves a message that failed
 * `maxDequeueCount` deliveries.
 */
export function poisonQueueOf(queue: string): string {
  return `${queue}-poison`;
}

/** Every queue name follows from `PHOTO_QUEUE`, so one setting names them all. */
export function queueNames(photoQueue: string): QueueNames {
  const runRequests = `${photoQueue}-runs`;
  return {
    photoJobs: photoQueue,
    photoJobsPoison: poisonQueueOf(photoQueue),
    runRequests,
    runRequestsPoison: poisonQueueOf(runRequests),
  };
}

/** The same names as binding expressions for queue triggers: the host reads `PHOTO_QUEUE` itself. */
export const QUEUE_BINDINGS = queueNames('%PHOTO_QUEUE%');
