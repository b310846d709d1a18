import { createHash } from 'node:crypto';
import type { AppServices } from '../../src/app/AppServices';
import { PHOTO_OUTCOMES, totalOf } from '../../src/domain/PhotoOutcome';
import type { Run } from '../../src/domain/Run';
import type { Photo } from '../simulator/SimulatedTenant';

/**
 * The invariants a store must hold whatever a fault did (docs/reliability.md): nothing stored was
 * lost or replaced by an error, and one clean run later the store is exactly the tenant. The
 * reliability tests and `npm run chaos` both check them; problems are collected as readable lines,
 * so a failure names the users it is about.
 */

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Graph's side: the users the store should hold and their current photos (a SimulatedTenant). */
export interface GraphPhotos {
  users(): ReadonlyArray<{ id: string }>;
  photoOf(userId: string): Pick<Photo, 'bytes' | 'etag' | 'contentType'> | null;
}

/** A store to check against the tenant it syncs. */
export interface StoreUnderCheck {
  tenant: GraphPhotos;
  services: Pick<AppServices, 'photoBlobs' | 'identities'>;
}

/** What the store holds for one user's photo: the blob's own bytes hashed, and the record's hash. */
export interface StoredPhotoState {
  blobSha?: string;
  recordSha?: string;
  lastResult?: string;
  lastErrorCode?: string;
  lastRunId?: string;
}

export function tenantUserIds(store: Pick<StoreUnderCheck, 'tenant'>): string[] {
  return store.tenant.users().map((user) => user.id);
}

/** Graph's current photo of a user, hashed; undefined when the user has none. */
export function currentPhotoSha(store: Pick<StoreUnderCheck, 'tenant'>, userId: string): string | undefined {
  const photo = store.tenant.photoOf(userId);
  return photo === null ? undefined : sha256(photo.bytes);
}

/** Every blob in the photo container: name → SHA-256 of its bytes. */
export async function blobHashes(store: Pick<StoreUnderCheck, 'services'>): Promise<Map<string, string>> {
  const hashes = new Map<string, string>();
  for await (const name of store.services.photoBlobs.names()) {
    const blob = await store.services.photoBlobs.read(name);
    if (blob !== undefined) hashes.set(name, sha256(blob.bytes));
  }
  return hashes;
}

/** The stored photo state of every tenant user. */
export async function storedStates(store: StoreUnderCheck): Promise<Map<string, StoredPhotoState>> {
  const blobs = await blobHashes(store);
  const states = new Map<string, StoredPhotoState>();
  for (const userId of tenantUserIds(store)) {
    const record = await store.services.identities.get(userId);
    states.set(userId, {
      blobSha: blobs.get(userId),
      recordSha: record?.photoSha256 || undefined,
      lastResult: record?.lastResult,
      lastErrorCode: record?.lastErrorCode || undefined,
      lastRunId: record?.lastRunId,
    });
  }
  return states;
}

/** A finished run's counts: one outcome per user it listed or skipped it (all 0 when photo sync was off), every job done. */
export function countProblems(run: Run): string[] {
  const problems: string[] = [];
  if (run.status === 'running')
    problems.push(`run ${run.runId} is still running (jobs ${JSON.stringify(run.jobs)})`);
  const total = totalOf(run.photos);
  const checksPhotos = run.photoSyncActive || run.trigger === 'purge';
  if (checksPhotos && total + run.skipped !== run.users)
    problems.push(
      `run ${run.runId}: outcomes add up to ${total} and ${run.skipped} skipped, but it listed ${run.users} users (${JSON.stringify(run.photos)})`,
    );
  if (!checksPhotos && total !== 0)
    problems.push(`run ${run.runId}: photo sync was off, yet it counted ${JSON.stringify(run.photos)}`);
  if (run.jobs.total !== null && run.jobs.done !== run.jobs.total)
    problems.push(`run ${run.runId}: ${run.jobs.done} of ${run.jobs.total} jobs done`);
  for (const outcome of PHOTO_OUTCOMES)
    if (run.photos[outcome] < 0) problems.push(`run ${run.runId}: negative ${outcome}`);
  return problems;
}

export interface NothingLostOptions {
  /**
   * The run the fault hit. Its users that did not fail must be stored exactly as the simulator has
   * them; its failed users must be stored exactly as before (Graph faults). Storage faults can
   * leave a new blob under an old record until the next run: pass `failedMayHaveNewBlob`.
   */
  run?: Run;
  failedMayHaveNewBlob?: boolean;
}

/**
 * After a run with faults: no stored photo was deleted or overwritten except by Graph's current
 * photo (or deleted because Graph has none), and a user whose check failed kept what was stored.
 */
export async function nothingLostProblems(
  store: StoreUnderCheck,
  before: Map<string, StoredPhotoState>,
  options: NothingLostOptions = {},
): Promise<string[]> {
  const after = await storedStates(store);
  const problems: string[] = [];
  for (const userId of tenantUserIds(store)) {
    const was = before.get(userId) ?? {};
    const now = after.get(userId) ?? {};
    const current = currentPhotoSha(store, userId);
    if (now.blobSha !== was.blobSha && now.blobSha !== current) {
      problems.push(
        `${userId}: blob ${was.blobSha ?? 'none'} became ${now.blobSha ?? 'none'}, which is not Graph's current photo (${current ?? 'none'})`,
      );
    }
    if (now.recordSha !== was.recordSha && now.recordSha !== current) {
      problems.push(
        `${userId}: record hash ${was.recordSha ?? 'none'} became ${now.recordSha ?? 'none'}, which is not Graph's current photo (${current ?? 'none'})`,
      );
    }
    // A record names bytes that are stored, or the bytes it named before the fault.
    if (now.recordSha !== undefined && now.recordSha !== now.blobSha && now.recordSha !== was.recordSha) {
      problems.push(`${userId}: record names ${now.recordSha}, but the blob is ${now.blobSha ?? 'missing'}`);
    }
    const run = options.run;
    if (run === undefined || now.lastRunId !== run.runId) continue;
    if (now.lastResult === 'failed') {
      if (now.recordSha !== was.recordSha)
        problems.push(`${userId}: failed in ${run.runId}, yet its record hash changed`);
      if (!options.failedMayHaveNewBlob && now.blobSha !== was.blobSha)
        problems.push(`${userId}: failed in ${run.runId}, yet its blob changed`);
      if (options.failedMayHaveNewBlob && now.blobSha !== was.blobSha && now.blobSha !== current)
        problems.push(`${userId}: failed, and its blob is neither the old nor Graph's photo`);
    } else if (now.blobSha !== current || now.recordSha !== current) {
      problems.push(
        `${userId}: ${now.lastResult} in ${run.runId}, yet stored blob ${now.blobSha ?? 'none'} / record ${now.recordSha ?? 'none'} ≠ Graph's ${current ?? 'none'}`,
      );
    }
  }
  return problems;
}

/**
 * The store equals the tenant: for every user, no photo in Graph ⇔ no blob and no hash in the
 * record; otherwise blob bytes = record hash = Graph's photo, with its type and ETag; no blob that
 * is not a user with a photo.
 */
export async function consistencyProblems(store: StoreUnderCheck): Promise<string[]> {
  const problems: string[] = [];
  const blobs = await blobHashes(store);
  const withPhoto = new Set<string>();
  for (const userId of tenantUserIds(store)) {
    const photo = store.tenant.photoOf(userId);
    const record = await store.services.identities.get(userId);
    const blobSha = blobs.get(userId);
    if (record === undefined) {
      problems.push(`${userId}: no identity record`);
      continue;
    }
    if (photo === null) {
      if (blobSha !== undefined) problems.push(`${userId}: has no photo in Graph, yet a blob is stored`);
      if (record.photoSha256)
        problems.push(`${userId}: has no photo in Graph, yet the record names ${record.photoSha256}`);
      if (record.lastResult !== 'noPhoto' && record.lastResult !== 'removed')
        problems.push(`${userId}: has no photo, lastResult ${record.lastResult}`);
      continue;
    }
    withPhoto.add(userId);
    const expected = sha256(photo.bytes);
    if (blobSha !== expected)
      problems.push(`${userId}: blob ${blobSha ?? 'missing'} ≠ Graph's photo ${expected}`);
    if (record.photoSha256 !== expected)
      problems.push(`${userId}: record ${record.photoSha256 || 'empty'} ≠ Graph's photo ${expected}`);
    if (record.photoEtag !== photo.etag)
      problems.push(`${userId}: record ETag ${record.photoEtag} ≠ Graph's ${photo.etag}`);
    if (record.photoContentType !== photo.contentType)
      problems.push(`${userId}: record type ${record.photoContentType} ≠ ${photo.contentType}`);
    if (record.lastResult === 'failed' || record.lastResult === 'noPhoto' || record.lastResult === 'removed')
      problems.push(`${userId}: has a photo, lastResult ${record.lastResult}`);
    if (blobSha === expected) {
      const blob = await store.services.photoBlobs.read(userId);
      if (blob?.contentType !== photo.contentType)
        problems.push(`${userId}: blob type ${blob?.contentType} ≠ ${photo.contentType}`);
      if (blob?.sha256 !== expected)
        problems.push(`${userId}: blob metadata sha256 ${blob?.sha256} ≠ its bytes ${expected}`);
    }
  }
  for (const name of blobs.keys())
    if (!withPhoto.has(name)) problems.push(`orphan blob ${JSON.stringify(name)}: not a user with a photo`);
  return problems;
}

/** Users of the tenant that have a photo now, in tenant order. */
export function usersWithPhoto(store: Pick<StoreUnderCheck, 'tenant'>): string[] {
  return tenantUserIds(store).filter((userId) => store.tenant.photoOf(userId) !== null);
}

export function usersWithoutPhoto(store: Pick<StoreUnderCheck, 'tenant'>): string[] {
  return tenantUserIds(store).filter((userId) => store.tenant.photoOf(userId) === null);
}
