import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import {
  cursorStanding,
  decodeChangeCursor,
  encodeChangeCursor,
  type ChangeCursor,
} from '../domain/ChangeCursor';
import { requireReader } from '../http/ClientPrincipal';
import { HttpError } from '../http/HttpError';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { jsonResponse } from '../http/jsonResponse';
import { topQuery } from '../http/PageQuery';
import { singleQueryValue } from '../http/singleQueryValue';
import type { ChangePage, PhotoChangeFeed } from '../storage/PhotoChangeFeed';

function readSince(request: HttpRequest): ChangeCursor | undefined {
  return singleQueryValue(
    request,
    'since',
    decodeChangeCursor,
    () =>
      new HttpError(400, 'invalidSince', 'since is the next value a previous answer of this feed returned.'),
  );
}

function startAgain(why: string, historyDays: number): HttpError {
  return new HttpError(
    410,
    'cursorExpired',
    `${why} Changes are kept ${historyDays} days (PHOTO_HISTORY_DAYS). Start again without since: re-read the photos you show, then follow the feed from its oldest change.`,
  );
}

async function readAfter(
  changes: PhotoChangeFeed,
  since: ChangeCursor,
  top: number,
  now: Date,
  historyDays: number,
): Promise<ChangePage> {
  for (let attempt = 1; ; attempt++) {
    const page = await changes.read(since.seq, top);
    const standing = cursorStanding(
      since,
      { firstSeq: page.changes[0]?.seq, last: page.last },
      now,
      historyDays,
    );
    switch (standing.kind) {
      case 'current':
        return page;
      case 'expired':
        throw startAgain('This cursor is older than the feed keeps.', historyDays);
      case 'lost':
        // An empty range and the head may be read a moment apart (separate pages): look once more.
        if (attempt === 1 && page.changes.length === 0) continue;
        throw startAgain(
          'Changes after this cursor are no longer kept, so some would be missed.',
          historyDays,
        );
    }
  }
}

async function handlePhotoChanges(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  requireReader(request);
  const top = topQuery(request, { defaultTop: 100, maxTop: 1000 });
  const since = readSince(request);
  const { changes, config } = await getServices();
  const now = new Date();
  const page =
    since === undefined
      ? await changes.read(undefined, top)
      : await readAfter(changes, since, top, now, config.historyDays);
  // Nothing new: the consumer stays where it is (or, on a first call to an empty feed, at its end).
  const seq = page.changes.at(-1)?.seq ?? since?.seq ?? page.last ?? 0;
  return jsonResponse({
    changes: page.changes.map(({ userId, result, sha256, at }) => ({ userId, result, sha256, at })),
    next: encodeChangeCursor({ seq, issuedAt: now }),
  });
}

/**
 * `GET /api/photos/changes?since=&top=`: every stored photo change (added, updated, removed) in the
 * order it was stored; `next`, passed as `since`, gives only later ones.
 */
export const photoChangesHandler = handleHttpErrors(handlePhotoChanges);

app.http('photoChanges', {
  route: 'photos/changes',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: photoChangesHandler,
});
