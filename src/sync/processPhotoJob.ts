import {
  carryEarlierChange,
  decideFromDownload,
  decideFromMetadata,
  isChange,
  type PhotoDecision,
  type PhotoMetadata,
} from '../domain/PhotoDecision';
import type { PhotoJob } from '../domain/PhotoJob';
import { isQuietCheck } from '../domain/QuietCheck';
import { countOutcomes, emptyCounts, type OutcomeCounts } from '../domain/PhotoOutcome';
import type { PhotoGraph } from '../graph/PhotoGraph';
import { photoFields, storedPhotoOf, type EntityFields, type IdentityStore } from '../storage/IdentityStore';
import type { PhotoBlobStore } from '../storage/PhotoBlobStore';
import type { PhotoChange, PhotoChangeFeed } from '../storage/PhotoChangeFeed';
import type { PhotoEventStore } from '../storage/PhotoEventStore';
import type { JobChecks } from '../storage/JobCompletionCoalescer';
import type { RunStore } from '../storage/RunStore';
import type { SettingsCache } from '../storage/SettingsCache';
import { mapWithConcurrency } from './mapWithConcurrency';
import type { SyncLog } from './SyncLog';

export interface PhotoWorkerDeps {
  graph: Pick<PhotoGraph, 'getMetadata' | 'download'>;
  identities: IdentityStore;
  photoBlobs: PhotoBlobStore;
  events: PhotoEventStore;
  changes: Pick<PhotoChangeFeed, 'append'>;
  runs: RunStore;
  /** Read about once a second per process; turning photo sync off is waited out before it answers. */
  settings: Pick<SettingsCache, 'photoSyncActive'>;
  log: SyncLog;
  recheckDays: number;
  now?: () => Date;
}

/** Photo downloads in flight per job: Graph serves photos with limited concurrency per app. */
const DOWNLOAD_CONCURRENCY = 4;

export interface PhotoJobResult {
  counts: OutcomeCounts;
  skipped: boolean;
}

const REASONS: Record<PhotoDecision['outcome'], string> = {
  added: 'first photo stored',
  updated: 'photo bytes changed; stored photo replaced',
  unchanged: 'photo is the one stored',
  removed: 'user has no photo any more; stored photo deleted',
  noPhoto: 'user has no photo',
  failed: 'photo not read; stored photo kept',
};

/**
 * Checks the photos of one job's users (docs/design.md, "Photo jobs"): metadata for all in one
 * `$batch`, a download only where the ETag changed or the recheck is due, the blob written before
 * the record. A user's failure is recorded as that user's outcome and touches nothing else; only a
 * storage fault throws, so the queue delivers the job again — which is harmless, as every step is
 * idempotent.
 */
export async function processPhotoJob(job: PhotoJob, deps: PhotoWorkerDeps): Promise<PhotoJobResult> {
  const now = deps.now ?? (() => new Date());
  // A purge is asked for while photo sync is off; every other job needs it on.
  if (job.removal !== 'purged' && !(await deps.settings.photoSyncActive())) {
    // Turned off after the run was planned: not one photo request, nothing written.
    deps.log.write('info', 'photoJobSkipped', {
      runId: job.runId,
      jobId: job.jobId,
      users: job.userIds.length,
      reason: 'photo sync is off (userPhotos and syncUserPhotos must both be on)',
    });
    await finishJob(job, emptyCounts(), deps);
    return { counts: emptyCounts(), skipped: true };
  }

  const decisions =
    job.removal === undefined ? await checkPhotos(job, deps, now) : await removePhotos(job, deps);

  // Blobs first: a record never names bytes that were not written.
  await mapWithConcurrency(decisions, DOWNLOAD_CONCURRENCY, async ({ userId, decision }) => {
    if (decision.action === 'writePhoto') await deps.photoBlobs.write(userId, decision.photo);
    if (decision.action === 'deletePhoto') await deps.photoBlobs.delete(userId);
  });
  const checkedAt = now();
  // A departure recorded before (a delta round's `@removed`) keeps its time.
  const departedFields = (before: EntityFields | undefined): EntityFields =>
    job.removal !== 'departed' || before?.inDirectory === false
      ? {}
      : { inDirectory: false, departedAt: checkedAt.toISOString() };
  // A purge creates no record: a blob none named is deleted, and nothing else is told of it.
  const recorded = decisions.filter(({ before }) => before !== undefined || job.removal !== 'purged');
  // The job's marker tells when its users were checked: a record is written only where it changes.
  await deps.identities.writePhotoFields(
    recorded
      .map(({ userId, decision, before }) => ({
        userId,
        before,
        fields: { ...photoFields(decision, job.runId, checkedAt), ...departedFields(before) },
      }))
      .filter(({ fields, before }) => changesRecord(fields, before))
      .map(({ userId, fields }) => ({ userId, fields })),
  );
  // After the records: a consumer told of a change finds it stored. A job that fails before this
  // is delivered again, and its changes are carried (carryEarlierChange) and appended then.
  await deps.changes.append(
    recorded.flatMap(({ userId, decision, before }) => feedEntry(userId, decision, before, checkedAt)),
  );
  await Promise.all(
    recorded
      .filter(({ decision, before }) => isLogWorthy(decision, before))
      .map(({ userId, decision }) =>
        deps.events.append(userId, {
          at: checkedAt.toISOString(),
          runId: job.runId,
          result: decision.outcome,
          reason: decision.outcome === 'removed' ? (job.removal ?? null) : null,
          error: decision.outcome === 'failed' ? decision.error : null,
        }),
      ),
  );
  for (const { userId, decision } of decisions) {
    deps.log.photoResult(
      job.runId,
      userId,
      decision.outcome,
      decision.outcome === 'removed' && job.removal !== undefined ? job.removal : REASONS[decision.outcome],
      decision.outcome === 'failed' ? decision.error : undefined,
    );
  }

  const counts = countOutcomes(decisions.map(({ decision }) => decision.outcome));
  await finishJob(job, counts, deps, { userIds: job.userIds, checkedAt });
  return { counts, skipped: false };
}

interface UserDecision {
  userId: string;
  decision: PhotoDecision;
  /** The user's record as known before this check: read, or as the planner read it. */
  before: EntityFields | undefined;
}

async function checkPhotos(job: PhotoJob, deps: PhotoWorkerDeps, now: () => Date): Promise<UserDecision[]> {
  const [stored, metadata] = await Promise.all([
    job.stored === undefined
      ? deps.identities.readPhotoStates(job.userIds)
      : new Map<string, EntityFields>(Object.entries(job.stored)),
    deps.graph.getMetadata(job.userIds),
  ]);
  return mapWithConcurrency(job.userIds, DOWNLOAD_CONCURRENCY, async (userId) => ({
    userId,
    decision: await decide(userId, job.runId, stored.get(userId), metadata.get(userId), deps, now()),
    before: stored.get(userId),
  }));
}

/**
 * No Graph request: the stored photo goes; one already gone by an earlier delivery of this run
 * stays counted. A purge also meets blobs no record names (see planPurge): they go too.
 */
async function removePhotos(job: PhotoJob, deps: PhotoWorkerDeps): Promise<UserDecision[]> {
  const stored = await deps.identities.readPhotoStates(job.userIds);
  return mapWithConcurrency(job.userIds, DOWNLOAD_CONCURRENCY, async (userId) => {
    const before = stored.get(userId);
    const withoutRecord = before === undefined && job.removal === 'purged';
    const decision: PhotoDecision =
      storedPhotoOf(before).sha256 || (withoutRecord && (await deps.photoBlobs.holdsAny(userId)))
        ? { outcome: 'removed', action: 'deletePhoto' }
        : carryEarlierChange(
            { outcome: 'noPhoto', action: 'none' },
            { runId: before?.lastRunId, result: before?.lastResult },
            job.runId,
          );
    return { userId, decision, before };
  });
}

/** Fields a check writes whatever it finds: the job's marker keeps them for the checks that change nothing. */
const CHECK_STAMP: ReadonlySet<string> = new Set(['lastCheckedAt', 'lastRunId']);

/**
 * Whether writing `fields` changes the stored record beyond the check's own time and run, and an
 * outcome the record already implies (`isQuietCheck`). A failure is always written, so that the run
 * it failed in can be told from the record (`?result=failed` lists it with its run).
 */
function changesRecord(fields: EntityFields, stored: EntityFields | undefined): boolean {
  if (stored === undefined || fields.lastResult === 'failed') return true;
  const quiet = isQuietCheck(stored.lastResult, fields.lastResult);
  return Object.entries(fields).some(
    ([key, value]) =>
      !CHECK_STAMP.has(key) &&
      !(quiet && key === 'lastResult') &&
      (stored[key as keyof EntityFields] ?? '') !== value,
  );
}

async function decide(
  userId: string,
  runId: string,
  entity: EntityFields | undefined,
  metadata: PhotoMetadata | undefined,
  deps: PhotoWorkerDeps,
  now: Date,
): Promise<PhotoDecision> {
  const stored = storedPhotoOf(entity);
  const answer: PhotoMetadata = metadata ?? {
    kind: 'failed',
    error: { code: 'graphError', message: 'No photo metadata came back for this user.' },
  };
  const first = decideFromMetadata(stored, answer, now, deps.recheckDays);
  const decision =
    first.outcome === 'download'
      ? decideFromDownload(stored, await deps.graph.download(userId, first.contentType), first.etag)
      : first;
  return carryEarlierChange(decision, { runId: entity?.lastRunId, result: entity?.lastResult }, runId);
}

/** The change feed's entry for a change; a carried change names the photo its earlier delivery stored. */
function feedEntry(
  userId: string,
  decision: PhotoDecision,
  before: EntityFields | undefined,
  at: Date,
): PhotoChange[] {
  if (decision.outcome === 'removed')
    return [{ userId, result: 'removed', sha256: null, at: at.toISOString() }];
  if (decision.outcome !== 'added' && decision.outcome !== 'updated') return [];
  const sha256 = decision.action === 'writePhoto' ? decision.photo.sha256 : before?.photoSha256;
  return sha256 ? [{ userId, result: decision.outcome, sha256, at: at.toISOString() }] : [];
}

/**
 * The photo log keeps what changed, each new error, a user's first result and the recovery after a
 * failure — not the checks that find the photo as stored: after `added` or `updated`, `unchanged`
 * is no news, and logging it would cost a write per user on the run after every change.
 */
function isLogWorthy(decision: PhotoDecision, before: EntityFields | undefined): boolean {
  if (isChange(decision.outcome)) return true;
  const previous = before?.lastResult;
  if (decision.outcome === 'failed')
    return previous !== 'failed' || (before?.lastErrorCode ?? '') !== decision.error.code;
  return !previous || previous === 'failed';
}

async function finishJob(
  job: PhotoJob,
  counts: OutcomeCounts,
  deps: PhotoWorkerDeps,
  checks?: JobChecks,
): Promise<void> {
  const completion = await deps.runs.recordJobDone(job.runId, job.jobId, counts, { checks });
  if (completion.runMissing === true)
    deps.log.write('warn', 'photoJobWithoutRun', {
      runId: job.runId,
      jobId: job.jobId,
      reason: 'no such run: the photos were checked, but no run counts them',
    });
  else if (completion.closedRun !== undefined)
    deps.log.write('info', 'photoJobAfterRunClosed', {
      runId: job.runId,
      jobId: job.jobId,
      errorCode: completion.closedRun.error?.code,
      reason: `the run had been closed as ${completion.closedRun.error?.code ?? completion.closedRun.status} at ${completion.closedRun.finishedAt}: this late job is counted into it, and it stays closed`,
    });
  else if (!completion.counted)
    deps.log.write('info', 'photoJobRepeated', {
      runId: job.runId,
      jobId: job.jobId,
      reason: 'this job was counted before (a repeated delivery); its work was redone idempotently',
    });
  if (completion.finishedRun !== undefined) deps.log.runSummary(completion.finishedRun);
}
