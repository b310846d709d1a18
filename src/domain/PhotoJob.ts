import { z } from 'zod';
import { parseMessage, type ParseResult } from './parseMessage';
import { RunIdSchema } from './Run';
import { isObjectId } from './UserId';
import { REMOVAL_REASONS, type RemovalReason } from './RemovalReason';

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
}

const JOB_ID = /^[0-9a-z-]{1,64}$/;

const photoJobSchema = z.strictObject({
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
});

export function parsePhotoJob(message: unknown): ParseResult<PhotoJob> {
  return parseMessage(photoJobSchema, message, (job) => ({
    ...job,
    userIds: job.userIds.map((id) => id.toLowerCase()),
  }));
}
