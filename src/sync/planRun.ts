import { isDeltaLinkExpired, USERS_DELTA_SCOPE, type DirectoryChanges } from '../graph/listUserChanges';
import type { DeltaLinkStore } from '../storage/DeltaLinkStore';
import { chunks } from '../domain/chunks';
import { MAX_USERS_PER_JOB, type PhotoJob } from '../domain/PhotoJob';
import type { Run } from '../domain/Run';
import type { RunError } from '../domain/RunError';
import type { IdentityStore, ListingKnowledge, PhotoJobUser } from '../storage/IdentityStore';
import type { JobQueue } from '../storage/JobQueue';
import type { PhotoChangeFeed } from '../storage/PhotoChangeFeed';
import { RunFinishedError } from '../storage/RunFinishedError';
import type { RunStore } from '../storage/RunStore';
import { mapWithConcurrency } from './mapWithConcurrency';
import { failPlanning, logPlanningFailed } from './failPlanning';
import type { SyncLog } from './SyncLog';
import { classifyThrown } from '../graph/GraphFailure';
import type { RunWarning } from '../domain/RunWarning';
import type { ScopeStore } from '../storage/ScopeStore';
import type { SettingsStore } from '../storage/SettingsStore';
import { scopeFilter } from './scopeFilter';
import { jobRouter } from './jobRouter';
import { RemovalPlan } from './RemovalPlan';
import { pruneHistory, type HistoryRetentionDeps } from './pruneHistory';
import { refreshScope, type ScopeRefreshDeps } from './refreshScope';

export interface PlannerDeps {
  /** A `/users/delta` round: from the link of the last whole listing, or (undefined) every user. */
  listUserChanges: (deltaLink: string | undefined) => AsyncIterable<DirectoryChanges>;
  deltaLinks: Pick<DeltaLinkStore, 'read' | 'save'>;
  listMemberPages: (groupId: string) => AsyncIterable<string[]>;
  identities: Pick<IdentityStore, 'upsertCoreAttributes' | 'markDeparted' | 'listPhotoJobUsers'>;
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
  | { kind: 'page'; page: DirectoryChanges }
  | { kind: 'done' }
  | { kind: 'expired' }
  | { kind: 'failed'; error: RunError };

/**
 * What the user listing did: which round it was (`full`: every user, so one left out has left),
 * the error it broke off with, and the warning a full round instead of a delta round gives.
 */
interface Listing {
  full: boolean;
  error?: RunError;
  warning?: RunWarning;
}

const DELTA_LINK_EXPIRED: RunWarning = {
  code: 'deltaLinkExpired',
  message:
    'Graph no longer keeps the delta link of the last listing (expired or invalid): this run listed every user once, and keeps a new link.',
};

/**
 * Change-feed rows one run deletes at most: bounded work per run, yet above what a run adds (a
 * 100,000-user tenant changing 5% of its photos adds 5,000), so pruning never falls behind.
 */
const FEED_PRUNE_LIMIT = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Queue sends in flight at once: enough to hide the storage round trip, few enough to stay gentle. */
const SEND_CONCURRENCY = 16;

/**
 * Plans one run (docs/design.md, "Planning") in two streaming passes. First it lists the directory
 * with a `/users/delta` round from the link the last whole listing left (without one, or when Graph
 * no longer keeps it, a full round of every user) and keeps the core attributes of the users it
 * names, fetching a page while the one before is stored; `@removed` users are recorded as departed.
 * A steady run thus writes only what changed. Then — only when photo sync is active — it reads the
 * stored users back in table order and enqueues the in-directory ones as photo jobs of 20
 * consecutive row keys, each carrying the photo state the pass read of its users, so its worker
 * reads no record: every user's photo is checked each run, since photos have no delta. Departed
 * users who still have a stored photo get removal jobs; a whole full round also finds as departed
 * the users it left out. Neither pass holds more than two pages: memory does not grow with the
 * tenant. A listing that breaks off marks the run `failed` with the reason, keeps the old link (the
 * next run asks again from there) and removes no photo for departure or scope. Last, it deletes
 * the job markers of runs too old for any of their jobs to arrive.
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
    const listing = await listUsers();
    // Only a whole listing tells who left the directory.
    const jobNotes = run.photoSyncActive
      ? await enqueuePhotoJobs({
          since: listingStartedAt,
          full: listing.full,
          whole: listing.error === undefined,
        })
      : { warnings: [], skipped: 0 };
    const notes = {
      ...jobNotes,
      warnings: [...(listing.warning === undefined ? [] : [listing.warning]), ...jobNotes.warnings],
    };
    const finished = await deps.runs.finishPlanning(run.runId, listing.error, notes);
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

  /** A delta round; when Graph no longer keeps the link, one full round instead, logged. */
  async function listUsers(): Promise<Listing> {
    const deltaLink = await deps.deltaLinks.read(USERS_DELTA_SCOPE);
    const listing = await listRound(deltaLink);
    if (listing !== 'expired') return listing;
    deps.log.write('warn', DELTA_LINK_EXPIRED.code, { runId: run.runId, reason: DELTA_LINK_EXPIRED.message });
    const full = await listRound(undefined);
    if (full !== 'expired') return { ...full, warning: DELTA_LINK_EXPIRED };
    // A full round's own page link can expire too (a listing that took too long): it broke off.
    const error = listingFailed('Graph asked for a resync again during the full listing.');
    logPlanningFailed(deps.log, run.runId, error, 'deltaLinkExpired');
    return { full: true, error, warning: DELTA_LINK_EXPIRED };
  }

  async function listRound(deltaLink: string | undefined): Promise<Listing | 'expired'> {
    const full = deltaLink === undefined;
    const pages = deps.listUserChanges(deltaLink)[Symbol.asyncIterator]();
    let nextLink: string | undefined;
    // The next page is on its way while this one is stored: two pages in memory at most.
    for (let next = fetchPage(pages); ;) {
      const fetched = await next;
      if (fetched.kind === 'failed') return { full, error: fetched.error };
      // From a link or a page link Graph no longer keeps: what this round wrote is kept (idempotent).
      if (fetched.kind === 'expired') return 'expired';
      if (fetched.kind === 'done') break;
      next = fetchPage(pages);
      const { users, removed } = fetched.page;
      if (users.length > 0) await deps.identities.upsertCoreAttributes(users, now());
      // Graph says so for each of them: recorded whatever becomes of the rest of the round.
      const departed = removed.length > 0 ? await deps.identities.markDeparted(removed, now()) : 0;
      // With photo jobs, the photo-job pass counts the run's users from the table. The write on
      // every page still stamps the run's progress (a long listing is not a stuck run) and stops
      // this planning, before it sends a job, when the run was closed meanwhile.
      await deps.runs.addPlanned(run.runId, run.photoSyncActive ? 0 : users.length, 0);
      nextLink = fetched.page.deltaLink ?? nextLink;
      deps.log.write('info', 'usersListed', { runId: run.runId, users: users.length, departed, full });
    }
    // Only after the whole round: a round that broke off is asked again from the old link.
    if (nextLink !== undefined) await deps.deltaLinks.save(USERS_DELTA_SCOPE, nextLink, now());
    return { full };
  }

  function listingFailed(cause: string): RunError {
    return {
      code: 'listUsersFailed',
      message: `Listing users in Microsoft Graph failed: ${cause} Users not listed were left as they are.`,
    };
  }

  /**
   * Only fetching a page (Graph, or the credential in front of it) may fail the run, so this never
   * throws; a storage fault is thrown on by the caller, so the trigger fails and says so.
   */
  async function fetchPage(pages: AsyncIterator<DirectoryChanges>): Promise<FetchedPage> {
    try {
      const next = await pages.next();
      return next.done === true ? { kind: 'done' } : { kind: 'page', page: next.value };
    } catch (error) {
      if (isDeltaLinkExpired(error)) return { kind: 'expired' };
      const cause = classifyThrown(error);
      const listingError = listingFailed(cause.message);
      logPlanningFailed(deps.log, run.runId, listingError, cause.code);
      return { kind: 'failed', error: listingError };
    }
  }

  async function enqueuePhotoJobs(listing: ListingKnowledge): Promise<PlanningNotes> {
    let jobSeq = 0;
    let skipped = 0;
    // Departed users are counted among the run's users, so that its outcomes still add up to them.
    const enqueue = async (jobs: PhotoJob[], users: number): Promise<void> => {
      jobSeq += jobs.length;
      await mapWithConcurrency(jobs, SEND_CONCURRENCY, (job) => deps.photoJobs.send(job));
      if (jobs.length > 0 || users > 0) await deps.runs.addPlanned(run.runId, users, jobs.length);
    };
    // A job is named after its greatest id (ids are in table order): one query finds who it checked.
    const jobOf = (userIds: string[]): Pick<PhotoJob, 'runId' | 'jobId' | 'userIds'> => ({
      runId: run.runId,
      jobId: userIds[userIds.length - 1],
      userIds,
    });
    // A check job carries what the pass read of its users, so its worker reads no record.
    const checkJob = (users: PhotoJobUser[]): PhotoJob => ({
      ...jobOf(users.map((user) => user.userId)),
      stored: Object.fromEntries(users.map((user) => [user.userId, user.stored])),
    });
    const scope = await refreshScope(run.runId, await deps.settings.read(), deps);
    const route = jobRouter(
      scope,
      scope.known && (scope.include || scope.exclude) ? scopeFilter(scope, deps.scope) : undefined,
      listing.whole,
    );
    const removals = new RemovalPlan(
      planning.allowRemovals === true ? undefined : deps.removalLimit,
      (reason, ids) => enqueue([{ ...jobOf(ids), removal: reason }], reason === 'departed' ? ids.length : 0),
    );
    // A page of ids rarely ends on a job's boundary: the rest opens the next page's first job.
    let rest: PhotoJobUser[] = [];
    for await (const page of deps.identities.listPhotoJobUsers(listing)) {
      const checks = [...rest];
      // Left out by a whole full round, with no photo to remove: only the record says they left.
      const departedWithoutPhoto: string[] = [];
      let inDirectory = 0;
      for (const user of page) {
        if (!user.departed) inDirectory++;
        else if (!user.hasPhoto && !user.departureRecorded) departedWithoutPhoto.push(user.userId);
        const decided = await route(user);
        if (decided.kind === 'check') checks.push(user);
        else if (decided.kind === 'remove') await removals.add(decided.reason, user.userId);
        else if (!user.departed) skipped++;
      }
      if (departedWithoutPhoto.length > 0) await deps.identities.markDeparted(departedWithoutPhoto, now());
      const whole = checks.length - (checks.length % MAX_USERS_PER_JOB);
      rest = checks.slice(whole);
      await enqueue(chunks(checks.slice(0, whole), MAX_USERS_PER_JOB).map(checkJob), inDirectory);
    }
    await enqueue(rest.length > 0 ? [checkJob(rest)] : [], 0);
    const tally = await removals.finish();
    skipped += tally.withheld.outOfScope;
    const listingBrokeOff: RunWarning | undefined = listing.whole
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
