import type { DirectoryUser } from '../graph/DirectoryUser';
import { chunks } from '../domain/chunks';
import { MAX_USERS_PER_JOB, type PhotoJob } from '../domain/PhotoJob';
import type { Run } from '../domain/Run';
import type { RunError } from '../domain/RunError';
import type { IdentityStore } from '../storage/IdentityStore';
import type { JobQueue } from '../storage/JobQueue';
import type { PhotoChangeFeed } from '../storage/PhotoChangeFeed';
import { RunFinishedError } from '../storage/RunFinishedError';
import type { RunStore } from '../storage/RunStore';
import { mapWithConcurrency } from './mapWithConcurrency';
import { failPlanning, logPlanningFailed } from './failPlanning';
import type { SyncLog } from './SyncLog';
import { classifyThrown } from '../graph/GraphFailure';
import type { RemovalReason } from '../domain/RemovalReason';
import type { RunWarning } from '../domain/RunWarning';
import type { ScopeStore } from '../storage/ScopeStore';
import type { SettingsStore } from '../storage/SettingsStore';
import { scopeFilter } from './scopeFilter';
import { jobRouter } from './jobRouter';
import { RemovalPlan } from './RemovalPlan';
import { pruneHistory, type HistoryRetentionDeps } from './pruneHistory';
import { refreshScope, type ScopeRefreshDeps } from './refreshScope';

export interface PlannerDeps {
  listUserPages: () => AsyncIterable<DirectoryUser[]>;
  listMemberPages: (groupId: string) => AsyncIterable<string[]>;
  identities: Pick<IdentityStore, 'upsertCoreAttributes' | 'listPhotoJobUsers'>;
  runs: Pick<RunStore, 'addPlanned' | 'finishPlanning' | 'pruneJobMarkers'>;
  settings: Pick<SettingsStore, 'read'>;
  scope: ScopeRefreshDeps['scope'] & Pick<ScopeStore, 'members'>;
  photoJobs: Pick<JobQueue<PhotoJob>, 'send'>;
  changes: Pick<PhotoChangeFeed, 'prune'>;
  /** `PHOTO_HISTORY_DAYS`: changes older than this leave the change feed. */
  historyDays: number;
  log: SyncLog;
  /** PHOTO_REMOVAL_LIMIT: most photos one run removes for scope or departure. */
  removalLimit: number;
  /** PHOTO_HISTORY_DAYS: what each planning prunes, in bounded work. */
  retention: Omit<HistoryRetentionDeps, 'log'>;
  now?: () => Date;
}

/** What a run's planning learnt beside its jobs, recorded with its end. */
export interface PlanningNotes {
  warnings: RunWarning[];
  /** Users listed whose photo the run does not check: out of scope, scope unknown, removal held back. */
  skipped: number;
}

type FetchedPage =
  { kind: 'page'; page: DirectoryUser[] } | { kind: 'done' } | { kind: 'failed'; error: RunError };

/**
 * Change-feed rows one run deletes at most: bounded work per run, yet above what a run adds (a
 * 100,000-user tenant changing 5% of its photos adds 5,000), so pruning never falls behind.
 */
const FEED_PRUNE_LIMIT = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Queue sends in flight at once: enough to hide the storage round trip, few enough to stay gentle. */
const SEND_CONCURRENCY = 16;

/**
 * Plans one run (docs/design.md, "Planning") in two streaming passes. First it pages through the
 * directory and keeps each user's core attributes, fetching a page while the one before is stored.
 * Then — only when photo sync is active — it reads back the ids of the users it stored, in table
 * order, and enqueues them as photo jobs of 20 consecutive row keys, so a worker reads a job's
 * records in one key-range query. After a whole listing, users it no longer lists who still have a
 * stored photo join their jobs: Graph answers 404 for a deleted user, so the photo is removed.
 * Neither pass holds more than two pages: memory does not grow with the tenant. A listing that
 * breaks off marks the run `failed` with the reason; users not listed are left exactly as they are,
 * and those listed still get their photo jobs. Last, it deletes the job markers of runs too old for
 * any of their jobs to arrive.
 */
export async function planRun(
  run: Pick<Run, 'runId' | 'photoSyncActive'>,
  deps: PlannerDeps,
  planning: { allowRemovals?: boolean } = {},
): Promise<Run | undefined> {
  const now = deps.now ?? (() => new Date());
  // The clock that stamps every record this run lists: those stamped since are this run's users.
  const listingStartedAt = now();
  try {
    const listingError = await listPages();
    // Only a whole listing tells who left the directory.
    const notes = run.photoSyncActive
      ? await enqueuePhotoJobs({ departedWithPhoto: listingError === undefined })
      : { warnings: [], skipped: 0 };
    const finished = await deps.runs.finishPlanning(run.runId, listingError, notes);
    if (finished !== undefined) deps.log.runSummary(finished);
    await pruneOldRuns();
    await pruneHistory(run.runId, now(), { ...deps.retention, log: deps.log });
    return finished;
  } catch (error) {
    if (error instanceof RunFinishedError) {
      // Closed as interrupted while this planner went too long without progress: nothing to add.
      deps.log.write('warn', 'planningStopped', {
        runId: run.runId,
        errorCode: error.run.error?.code,
        reason: `the run was closed (${error.run.status}) while it was being planned: planning stops here; start a new run`,
      });
      return undefined;
    }
    // Storage failed under the planner. Planning is not retried (a second pass would count users
    // twice): the run ends as failed once its enqueued jobs are done, and the error is thrown on.
    const reason = error instanceof Error ? error.message : String(error);
    await failPlanning(
      deps,
      run.runId,
      { code: 'planningFailed', message: `Planning stopped: storage failed (${reason}).` },
      'storage',
    ).catch(() => undefined);
    throw error;
  }

  /** Bookkeeping only: a failure is a warning, and this run is planned whatever happens here. */
  async function pruneOldRuns(): Promise<void> {
    try {
      const pruned = await deps.runs.pruneJobMarkers(now());
      if (pruned.runs > 0)
        deps.log.write('info', 'jobMarkersPruned', {
          runId: run.runId,
          runs: pruned.runs,
          markers: pruned.markers,
        });
    } catch (error) {
      deps.log.write('warn', 'jobMarkersPruneFailed', {
        runId: run.runId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    try {
      const cutoff = new Date(now().getTime() - deps.historyDays * DAY_MS);
      const changes = await deps.changes.prune(cutoff, FEED_PRUNE_LIMIT);
      if (changes > 0) deps.log.write('info', 'photoChangesPruned', { runId: run.runId, changes });
    } catch (error) {
      deps.log.write('warn', 'photoChangesPruneFailed', {
        runId: run.runId,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async function listPages(): Promise<RunError | undefined> {
    const pages = deps.listUserPages()[Symbol.asyncIterator]();
    // The next page is on its way while this one is stored: two pages in memory at most.
    for (let next = fetchPage(pages); ;) {
      const fetched = await next;
      if (fetched.kind === 'failed') return fetched.error;
      if (fetched.kind === 'done') return undefined;
      next = fetchPage(pages);
      await deps.identities.upsertCoreAttributes(fetched.page, now());
      await deps.runs.addPlanned(run.runId, fetched.page.length, 0);
      deps.log.write('info', 'usersListed', { runId: run.runId, users: fetched.page.length });
    }
  }

  /**
   * Only fetching a page (Graph, or the credential in front of it) may fail the run, so this never
   * throws; a storage fault is thrown on by the caller, so the trigger fails and says so.
   */
  async function fetchPage(pages: AsyncIterator<DirectoryUser[]>): Promise<FetchedPage> {
    try {
      const next = await pages.next();
      return next.done === true ? { kind: 'done' } : { kind: 'page', page: next.value };
    } catch (error) {
      const cause = classifyThrown(error);
      const listingError: RunError = {
        code: 'listUsersFailed',
        message:
          `Listing users in Microsoft Graph failed: ${cause.message} ` +
          'Users not listed were left as they are.',
      };
      logPlanningFailed(deps.log, run.runId, listingError, cause.code);
      return { kind: 'failed', error: listingError };
    }
  }

  async function enqueuePhotoJobs(options: { departedWithPhoto: boolean }): Promise<PlanningNotes> {
    let jobSeq = 0;
    let skipped = 0;
    // Departed users are counted among the run's users, so that its outcomes still add up to them.
    const enqueue = async (groups: string[][], departed: number, removal?: RemovalReason): Promise<void> => {
      // A job is named after its greatest id (ids are in table order): one query finds who it checked.
      const jobs = groups.map((userIds): PhotoJob => ({
        runId: run.runId,
        jobId: userIds[userIds.length - 1],
        userIds,
        ...(removal === undefined ? {} : { removal }),
      }));
      jobSeq += jobs.length;
      await mapWithConcurrency(jobs, SEND_CONCURRENCY, (job) => deps.photoJobs.send(job));
      if (jobs.length > 0 || departed > 0) await deps.runs.addPlanned(run.runId, departed, jobs.length);
    };
    const scope = await refreshScope(run.runId, await deps.settings.read(), deps);
    const route = jobRouter(
      scope,
      scope.known && (scope.include || scope.exclude) ? scopeFilter(scope, deps.scope) : undefined,
      options.departedWithPhoto,
    );
    const removals = new RemovalPlan(
      planning.allowRemovals === true ? undefined : deps.removalLimit,
      (reason, ids) => enqueue([ids], reason === 'departed' ? ids.length : 0, reason),
    );
    // A page of ids rarely ends on a job's boundary: the rest opens the next page's first job.
    let rest: string[] = [];
    for await (const page of deps.identities.listPhotoJobUsers(listingStartedAt, options)) {
      const ids = [...rest];
      for (const user of page) {
        const decided = await route(user);
        if (decided.kind === 'check') ids.push(user.userId);
        else if (decided.kind === 'remove') await removals.add(decided.reason, user.userId);
        else if (!user.departed) skipped++;
      }
      const whole = ids.length - (ids.length % MAX_USERS_PER_JOB);
      rest = ids.slice(whole);
      await enqueue(chunks(ids.slice(0, whole), MAX_USERS_PER_JOB), 0);
    }
    await enqueue(rest.length > 0 ? [rest] : [], 0);
    const tally = await removals.finish();
    skipped += tally.withheld.outOfScope;
    const listingBrokeOff: RunWarning | undefined = options.departedWithPhoto
      ? undefined
      : {
          code: 'listUsersFailed',
          message: 'The user listing broke off: no photo was removed for scope or departure this run.',
        };
    const warnings = [scope.known ? undefined : scope.warning, listingBrokeOff, tally.warning].filter(
      (warning): warning is RunWarning => warning !== undefined,
    );
    for (const warning of warnings.filter((warning) => warning.code === 'removalLimitExceeded'))
      deps.log.write('warn', warning.code, {
        runId: run.runId,
        count: warning.count,
        reason: warning.message,
      });
    deps.log.write('info', 'photoJobsEnqueued', {
      runId: run.runId,
      photoJobs: jobSeq,
      departedUsers: tally.sent.departed,
      outOfScopeRemovals: tally.sent.outOfScope,
      skippedUsers: skipped,
    });
    return { warnings, skipped };
  }
}
