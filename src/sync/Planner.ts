import type { DirectoryUser } from '../graph/DirectoryUser';
import type { PhotoJob } from '../domain/PhotoJob';
import type { Run } from '../domain/Run';
import type { IdentityStore } from '../storage/IdentityStore';
import type { JobQueue } from '../storage/JobQueue';
import type { RunStore } from '../storage/RunStore';
import { mapWithConcurrency } from './Concurrency';
import { JobBuffer } from './JobBuffer';
import type { SyncLog } from './SyncLog';
import { classifyThrown } from '../graph/GraphFailure';

export interface PlannerDeps {
  listUserPages: () => AsyncIterable<DirectoryUser[]>;
  identities: IdentityStore;
  runs: RunStore;
  photoJobs: JobQueue<PhotoJob>;
  log: SyncLog;
  now?: () => Date;
}

/** Queue sends in flight at once: enough to hide the storage round trip, few enough to stay gentle. */
const SEND_CONCURRENCY = 16;

/**
 * Plans one run (SPEC §2.1): pages through the directory, keeps each user's core attributes, and —
 * only when photo sync is active — enqueues photo jobs. Each page is written out before the next
 * is fetched, so memory does not grow with the tenant. A listing that breaks off marks the run
 * `failed` with the reason; users not listed are left exactly as they are.
 */
export async function planRun(run: Pick<Run, 'runId' | 'photoSyncActive'>, deps: PlannerDeps): Promise<Run | undefined> {
  const now = deps.now ?? (() => new Date());
  const buffer = new JobBuffer();
  let jobSeq = 0;
  const enqueue = async (groups: string[][]): Promise<void> => {
    const jobs = groups.map((userIds): PhotoJob => ({ runId: run.runId, jobId: String(++jobSeq), userIds }));
    await mapWithConcurrency(jobs, SEND_CONCURRENCY, (job) => deps.photoJobs.send(job));
  };

  try {
    const listingError = await planPages();
    // Users listed before a failure still get their photo jobs.
    const rest = run.photoSyncActive ? buffer.flush() : [];
    await enqueue(rest);
    if (rest.length > 0) await deps.runs.addPlanned(run.runId, 0, rest.length);
    const finished = await deps.runs.finishPlanning(run.runId, listingError);
    if (finished !== undefined) deps.log.runSummary(finished);
    return finished;
  } catch (error) {
    // Storage failed under the planner. Planning is not retried (a second pass would count users
    // twice): the run ends as failed once its enqueued jobs are done, and the error is thrown on.
    const reason = error instanceof Error ? error.message : String(error);
    deps.log.write('error', 'runPlanningFailed', { runId: run.runId, errorCode: 'storageError', reason });
    await deps.runs.finishPlanning(run.runId, { code: 'planningFailed', message: `Planning stopped: storage failed (${reason}).` }).catch(() => undefined);
    throw error;
  }

  async function planPages(): Promise<{ code: string; message: string } | undefined> {
    const pages = deps.listUserPages()[Symbol.asyncIterator]();
    for (;;) {
      // Only fetching a page (Graph, or the credential in front of it) may fail the run; a storage
      // fault is thrown on, so the trigger fails and says so.
      let next: IteratorResult<DirectoryUser[]>;
      try {
        next = await pages.next();
      } catch (error) {
        const cause = classifyThrown(error);
        const listingError = { code: 'listUsersFailed', message: `Listing users in Microsoft Graph failed: ${cause.message} Users not listed were left as they are.` };
        deps.log.write('error', 'runPlanningFailed', { runId: run.runId, errorCode: cause.code, reason: listingError.message });
        return listingError;
      }
      if (next.done === true) break;
      const page = next.value;
      await deps.identities.upsertCoreAttributes(page, now());
      const groups = run.photoSyncActive ? buffer.add(page.map((user) => user.id)) : [];
      await enqueue(groups);
      await deps.runs.addPlanned(run.runId, page.length, groups.length);
      deps.log.write('info', 'usersListed', { runId: run.runId, users: page.length, photoJobs: groups.length });
    }
    return undefined;
  }
}

