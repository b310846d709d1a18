import type { PhotoError } from './PhotoError';
import type { VerifiedPhoto } from './PhotoImage';
import type { PhotoOutcome } from './PhotoOutcome';

/** What the identity store knows of a user's photo before this check. */
export interface StoredPhoto {
  sha256?: string;
  etag?: string;
  /** When the stored bytes were last downloaded and hashed. */
  verifiedAt?: Date;
}

/** Graph's answer to `GET /users/{id}/photo` for one user. */
export type PhotoMetadata =
  | { kind: 'photo'; etag: string; contentType?: string }
  | { kind: 'noPhoto' }
  | { kind: 'failed'; error: PhotoError };

/** Graph's answer to `GET /users/{id}/photo/$value`, checked. */
export type PhotoDownload =
  { kind: 'photo'; photo: VerifiedPhoto } | { kind: 'noPhoto' } | { kind: 'failed'; error: PhotoError };

/** The result of one user's check, and the one storage action it needs. */
export type PhotoDecision =
  | { outcome: 'unchanged'; action: 'none' }
  | { outcome: 'unchanged'; action: 'keepEtag'; etag: string }
  | { outcome: 'added' | 'updated'; action: 'writePhoto'; photo: VerifiedPhoto; etag: string }
  | { outcome: 'removed'; action: 'deletePhoto' }
  | { outcome: 'noPhoto'; action: 'none' }
  | { outcome: 'failed'; action: 'none'; error: PhotoError }
  /**
   * A repeated delivery finding the change its earlier delivery in the same run stored (see
   * carryEarlierChange).
   */
  | { outcome: 'added' | 'updated' | 'removed'; action: 'none' };

export type MetadataDecision = PhotoDecision | { outcome: 'download'; etag: string; contentType?: string };

const DAY_MS = 24 * 60 * 60 * 1000;

function hasPhoto(stored: StoredPhoto): stored is StoredPhoto & { sha256: string } {
  return stored.sha256 !== undefined && stored.sha256 !== '';
}

function noPhotoNow(stored: StoredPhoto): PhotoDecision {
  return hasPhoto(stored)
    ? { outcome: 'removed', action: 'deletePhoto' }
    : { outcome: 'noPhoto', action: 'none' };
}

/**
 * ETag first: Graph's `@odata.mediaEtag` changes on every upload, so an equal ETag means the bytes
 * are the ones we hashed — unless they were hashed longer ago than the recheck period allows.
 */
export function decideFromMetadata(
  stored: StoredPhoto,
  metadata: PhotoMetadata,
  now: Date,
  recheckDays: number,
): MetadataDecision {
  switch (metadata.kind) {
    case 'noPhoto':
      return noPhotoNow(stored);
    case 'failed':
      return { outcome: 'failed', action: 'none', error: metadata.error };
    case 'photo': {
      const fresh =
        stored.verifiedAt !== undefined && now.getTime() - stored.verifiedAt.getTime() < recheckDays * DAY_MS;
      if (hasPhoto(stored) && stored.etag === metadata.etag && fresh)
        return { outcome: 'unchanged', action: 'none' };
      return { outcome: 'download', etag: metadata.etag, contentType: metadata.contentType };
    }
  }
}

/** SHA-256 is the truth: a new ETag over identical bytes is `unchanged` and writes no blob. */
export function decideFromDownload(
  stored: StoredPhoto,
  download: PhotoDownload,
  etag: string,
): PhotoDecision {
  switch (download.kind) {
    case 'noPhoto':
      return noPhotoNow(stored);
    case 'failed':
      return { outcome: 'failed', action: 'none', error: download.error };
    case 'photo':
      if (hasPhoto(stored) && stored.sha256 === download.photo.sha256)
        return { outcome: 'unchanged', action: 'keepEtag', etag };
      return {
        outcome: hasPhoto(stored) ? 'updated' : 'added',
        action: 'writePhoto',
        photo: download.photo,
        etag,
      };
  }
}

/**
 * A job delivered again within the same run (its earlier delivery stored its changes, then failed
 * before the job was counted) finds those changes stored: they are still this run's outcome, not
 * `unchanged` or `noPhoto`, so the run counts each change once and the user's photo log keeps it.
 */
export function carryEarlierChange(
  decision: PhotoDecision,
  earlier: { runId?: string; result?: PhotoOutcome },
  runId: string,
): PhotoDecision {
  if (decision.action !== 'none' || earlier.runId !== runId) return decision;
  if (decision.outcome === 'unchanged' && (earlier.result === 'added' || earlier.result === 'updated'))
    return { outcome: earlier.result, action: 'none' };
  if (decision.outcome === 'noPhoto' && earlier.result === 'removed')
    return { outcome: 'removed', action: 'none' };
  return decision;
}

/** Outcomes that change what is stored; these, and new errors, go to the user's photo log. */
export function isChange(outcome: PhotoOutcome): boolean {
  return outcome === 'added' || outcome === 'updated' || outcome === 'removed';
}
