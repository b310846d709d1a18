import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { HttpError } from '../http/HttpError';
import { requireReader } from '../http/ClientPrincipal';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { requireStoredUser } from '../http/requireStoredUser';

function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });
}

async function handleUserPhoto(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  requireReader(request);
  const { identities, photoBlobs } = await getServices();
  const user = await requireStoredUser(request, identities);
  if (!user.photoSha256)
    throw new HttpError(404, 'photoNotFound', 'No photo is stored for this user; see /photo/log for why.');
  // Answered from the record when the client has it already: no blob read.
  if (etagMatches(request.headers.get('if-none-match'), `"${user.photoSha256}"`)) {
    return { status: 304, headers: { ETag: `"${user.photoSha256}"`, 'Cache-Control': 'private, no-cache' } };
  }
  const blob = await photoBlobs.read(user.rowKey);
  if (blob === undefined)
    throw new HttpError(404, 'photoNotFound', 'No photo is stored for this user; see /photo/log for why.');
  const sha256 = blob.sha256 || user.photoSha256;
  return {
    status: 200,
    body: blob.bytes,
    headers: {
      'Content-Type': blob.contentType,
      ETag: `"${sha256}"`,
      'Cache-Control': 'private, no-cache',
      'X-Content-Type-Options': 'nosniff',
    },
  };
}

/** `GET /api/users/{userId}/photo`: the stored bytes, `ETag: "<sha256>"`, 304 on `If-None-Match`. */
export const userPhotoHandler = handleHttpErrors(handleUserPhoto);

app.http('userPhoto', {
  route: 'users/{userId}/photo',
  methods: ['GET'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: userPhotoHandler,
});
