import { z } from 'zod';
import { isObjectId } from './UserId';

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
}

/** `20261126T200412.123Z-3f9a1c`; ids made before milliseconds were added have none. */
export const RUN_ID = /^[0-9]{8}T[0-9]{6}(\.[0-9]{3})?Z-[0-9a-f]{6}$/;
const JOB_ID = /^[0-9a-z-]{1,64}$/;

const photoJobSchema = z.strictObject({
  runId: z.string().regex(RUN_ID, 'runId is not a run id'),
  jobId: z.string().regex(JOB_ID, 'jobId must be 1-64 lowercase letters, digits or hyphens'),
  userIds: z
    .array(z.string().refine(isObjectId, 'user id is not an Entra object id (GUID)'))
    .min(1, 'userIds is empty')
    .max(MAX_USERS_PER_JOB, `more than ${MAX_USERS_PER_JOB} user ids`)
    .refine(
      (ids) => new Set(ids.map((id) => id.toLowerCase())).size === ids.length,
      'a user id appears twice',
    ),
});

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The Functions runtime hands over JSON messages already parsed; other hosts may pass text. */
export function parsePhotoJob(message: unknown): ParseResult<PhotoJob> {
  return parseWith(photoJobSchema, message, (job) => ({
    ...job,
    userIds: job.userIds.map((id) => id.toLowerCase()),
  }));
}

export function parseWith<S extends z.ZodType, T>(
  schema: S,
  message: unknown,
  map: (value: z.infer<S>) => T,
): ParseResult<T> {
  let value = message;
  if (typeof message === 'string') {
    try {
      value = JSON.parse(message);
    } catch {
      return { ok: false, reason: 'message is not JSON' };
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    return { ok: false, reason: `${where}${issue.message}` };
  }
  return { ok: true, value: map(parsed.data) };
}
