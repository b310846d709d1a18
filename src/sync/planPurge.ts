import { chunks } from '../domain/chunks';
import { MAX_USERS_PER_JOB, type PhotoJob } from '../domain/PhotoJob';
import type { Run } from '../domain/Run';
import type { IdentityStore } from '../storage/IdentityStore';
import type { JobQueue } from '../storage/JobQueue';
import type { PhotoBlobStore } from '../storage/PhotoBlobStore';
import type { RunStore } from '../storage/RunStore';
import { mapWithConcurrency } from './mapWithConcurrency';
import { eachId, mergeSortedIds } from './mergeSortedIds';
import type { SyncLog } from './SyncLog';

export interface PurgePlannerDeps {
  identities: Pick<IdentityStore, 'listPurgeUsers'>;
  photoBlobs: Pick<PhotoBlobStore, 'names' | 'sizedOwners'>;
  runs: Pick<RunStore, 'finishPlanning'>;
  photoJobs: Pick<JobQueue<PhotoJob>, 'send'>;
  log: SyncLog;
}

const SEND_CONCURRENCY = 16;
/** Ids read ahead of the jobs cut from them: one table page's worth. */
const IDS_PER_PAGE = 1000;

/**
 * Plans a purge run (`POST /api/photos/purge`): removal jobs (`purged`, no Graph request) for every
 * user with a stored photo, in table order, 20 consecutive keys each. Blobs without a record (a
 * photo written whose record write never came, a sized copy left behind) are photos too: the
 * container's listings, in the same id order, are merged in, so a purge leaves no byte of anyone's
 * photo. It can be repeated after a crash: the users it reads include those this run already
 * removed a photo from, so the same jobs come out under the same ids (a job counted before is not
 * counted again), and the run's users and jobs are written once, with the end of planning. (A
 * record-less blob removed before such a repeat is no longer listed by it, so the jobs after it
 * shift by one user: every photo still goes, the run's counts may then be off by those users.) A
 * storage fault is thrown, so the queue delivers the request again.
 */
export async function planPurge(run: Pick<Run, 'runId'>, deps: PurgePlannerDeps): Promise<Run | undefined> {
  let users = 0;
  let jobSeq = 0;
  let rest: string[] = [];
  const enqueue = async (groups: string[][]): Promise<void> => {
    const jobs = groups.map((userIds): PhotoJob => ({
      runId: run.runId,
      jobId: String(++jobSeq),
      userIds,
      removal: 'purged',
    }));
    await mapWithConcurrency(jobs, SEND_CONCURRENCY, (job) => deps.photoJobs.send(job));
  };
  const owners = mergeSortedIds(
    [
      eachId(deps.identities.listPurgeUsers(run.runId)),
      deps.photoBlobs.names(),
      deps.photoBlobs.sizedOwners(),
    ],
    IDS_PER_PAGE,
  );
  for await (const page of owners) {
    users += page.length;
    const ids = [...rest, ...page];
    const whole = ids.length - (ids.length % MAX_USERS_PER_JOB);
    rest = ids.slice(whole);
    await enqueue(chunks(ids.slice(0, whole), MAX_USERS_PER_JOB));
  }
  await enqueue(rest.length > 0 ? [rest] : []);
  deps.log.write('info', 'photoJobsEnqueued', { runId: run.runId, photoJobs: jobSeq, purgedUsers: users });
  const finished = await deps.runs.finishPlanning(run.runId, undefined, {
    warnings: [],
    skipped: 0,
    planned: { users, jobs: jobSeq },
  });
  if (finished !== undefined) deps.log.runSummary(finished);
  return finished;
}
