import { z } from 'zod';
import { parseMessage, type ParseResult } from './parseMessage';
import { RunIdSchema } from './Run';
import { isObjectId } from './UserId';
import { REMOVAL_REASONS, type RemovalReason } from './RemovalReason';
import { PHOTO_OUTCOMES, type PhotoOutcome } from './PhotoOutcome';

/** At most this many users per photo job: one Graph `$batch` holds at most 20 requests. */
export const MAX_USERS_PER_JOB = 20;

/**
 * A photo job: the users of one run whose photos one worker invocation checks. Jobs carry object
 * ids (the planner only has those); a user principal name is refused, because the identity
 * record is keyed by object id.
 */
export interface PhotoJob {
  runId: string;
  /** Unique within the run; a job's completion is counted once, however often it is delivered. */
  jobId: string;
  userIds: string[];
  /** A removal job: the users' stored photos are deleted for this reason, with no Graph request. */
  removal?: RemovalReason;
  /**
   * A check job the planner cut: each user's photo state as it read it, so the worker decides
   * without reading the records again. Without it (a removal job, or a job sent by an earlier
   * version) the worker reads them.
   */
  stored?: Record<string, PlannedPhotoState>;
}

/**
 * A user's photo state as the planner read it from their record (the record's field names, empty
 * ones left out). It is still what is stored when the job's first delivery runs: within a run only
 * the user's own job writes these fields (a later delivery reads the records: `forDelivery`). The
 * error message is left out: a failure is always written, and any other outcome after a failure
 * changes `lastResult` anyway, so the text never decides a write. At most 20 users of at most
 * about 1.4 KB each: a job stays well under a queue message's 64 KB.
 */
export interface PlannedPhotoState {
  photoSha256?: string;
  photoEtag?: string;
  photoVerifiedAt?: string;
  lastResult?: PhotoOutcome;
  lastRunId?: string;
  lastErrorCode?: string;
}

const JOB_ID = /^[0-9a-z-]{1,64}$/;

const plannedStateSchema = z.strictObject({
  photoSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'photoSha256 is not a SHA-256 in hex')
    .optional(),
  photoEtag: z.string().max(1024).optional(),
  photoVerifiedAt: z.iso.datetime().optional(),
  lastResult: z.enum(PHOTO_OUTCOMES).optional(),
  lastRunId: RunIdSchema.optional(),
  lastErrorCode: z.string().max(128).optional(),
});

/** Whether the state's keys are the job's users, neither more nor fewer, whatever their case. */
function sameIds(userIds: readonly string[], keys: readonly string[]): boolean {
  const users = new Set(userIds.map((id) => id.toLowerCase()));
  const named = new Set(keys.map((id) => id.toLowerCase()));
  return named.size === keys.length && named.size === users.size && [...named].every((id) => users.has(id));
}

const photoJobSchema = z
  .strictObject({
    runId: RunIdSchema,
    jobId: z.string().regex(JOB_ID, 'jobId must be 1-64 lowercase letters, digits or hyphens'),
    userIds: z
      .array(z.string().refine(isObjectId, 'user id is not an Entra object id (GUID)'))
      .min(1, 'userIds is empty')
      .max(MAX_USERS_PER_JOB, `more than ${MAX_USERS_PER_JOB} user ids`)
      .refine(
        (ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length,
        'a user id appears twice',
      ),
    removal: z.enum(REMOVAL_REASONS).optional(),
    stored: z.record(z.string(), plannedStateSchema).optional(),
  })
  .refine((job) => job.stored === undefined || sameIds(job.userIds, Object.keys(job.stored)), {
    message: "stored does not name exactly the job's users",
    path: ['stored'],
  });

/**
 * The job as its delivery may use it. Only a first delivery decides from the planned state: an
 * earlier delivery of the same job may have written the records since (a failure among them,
 * which the planned state would let a later quiet check leave standing), so a job delivered again
 * reads them.
 */
export function forDelivery(job: PhotoJob, dequeueCount: number): PhotoJob {
  if (dequeueCount <= 1 || job.stored === undefined) return job;
  const { stored: _planned, ...withoutPlanned } = job;
  return withoutPlanned;
}

export function parsePhotoJob(message: unknown): ParseResult<PhotoJob> {
  return parseMessage(photoJobSchema, message, (job) => ({
    ...job,
    userIds: job.userIds.map((id) => id.toLowerCase()),
    ...(job.stored === undefined
      ? {}
      : {
          stored: Object.fromEntries(
            Object.entries(job.stored).map(([userId, state]) => [userId.toLowerCase(), state]),
          ),
        }),
  }));
}
