/**
 * Names of everything the app keeps in its storage account. Queue and container names come from
 * configuration (SPEC §5); the tables are fixed. Infra creates the same names (checked by a test).
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
  /** Each user's recent photo events, for `GET /api/users/{userId}/photo/log`. */
  events: 'PhotoSyncEvents',
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

export function queueNames(photoQueue: string): QueueNames {
  return {
    photoJobs: photoQueue,
    photoJobsPoison: `${photoQueue}-poison`,
    runRequests: `${photoQueue}-runs`,
    runRequestsPoison: `${photoQueue}-runs-poison`,
  };
}
