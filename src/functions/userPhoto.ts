import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import type { PhotoSize } from '../domain/PhotoSize';
import { sizedPhoto } from '../photos/sizedPhoto';
import type { PhotoBlobStore } from '../storage/PhotoBlobStore';
import { HttpError } from '../http/HttpError';
import { requireReader } from '../http/ClientPrincipal';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { requirePhotoSize } from '../http/requirePhotoSize';
import { requireStoredUser } from '../http/requireStoredUser';

/** The original: revalidated on every use, as it is the photo itself and may change with any run. */
const ORIGINAL_CACHE = 'private, no-cache';
/**
 * Sized copies are what lists and kiosks show many of at once: five minutes without asking, then
 * a revalidation (a 304 answered from the identity record alone). A changed photo shows within
 * five minutes of the run that stored it; a consumer that follows the change feed asks at once.
 */
const SIZED_CACHE = 'private, max-age=300, must-revalidate';

function etagMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const value = tag.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });
}

const noPhoto = (): HttpError =>
  new HttpError(404, 'photoNotFound', 'No photo is stored for this user; see /photo/log for why.');

/**
 * `HEAD` answers what `GET` would, headers only: the same work (a sized copy is made if need be,
 * so its length is known) without sending the bytes.
 */
async function handleUserPhotoOrHead(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  requireMethod(request, ['GET', 'HEAD']);
  const response = await handleUserPhoto(request, context);
  return request.method.toUpperCase() === 'HEAD' ? { ...response, body: undefined } : response;
}

function photoResponse(bytes: Buffer, headers: Record<string, string>): HttpResponseInit {
  return {
    status: 200,
    body: bytes,
    headers: { ...headers, 'Content-Length': String(bytes.length), 'X-Content-Type-Options': 'nosniff' },
  };
}

async function handleUserPhoto(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  requireReader(request);
  const size = requirePhotoSize(request);
  const { identities, photoBlobs } = await getServices();
  const user = await requireStoredUser(request, identities);
  if (!user.photoSha256) throw noPhoto();
  if (size !== undefined)
    return sizedResponse(request, context, user.rowKey, user.photoSha256, size, photoBlobs);
  // Answered from the record when the client has it already: no blob read.
  if (etagMatches(request.headers.get('if-none-match'), `"${user.photoSha256}"`)) {
    return { status: 304, headers: { ETag: `"${user.photoSha256}"`, 'Cache-Control': ORIGINAL_CACHE } };
  }
  const blob = await photoBlobs.read(user.rowKey);
  if (blob === undefined) throw noPhoto();
  const sha256 = blob.sha256 || user.photoSha256;
  return photoResponse(blob.bytes, {
    'Content-Type': blob.contentType,
    ETag: `"${sha256}"`,
    'Cache-Control': ORIGINAL_CACHE,
  });
}

async function sizedResponse(
  request: HttpRequest,
  context: InvocationContext,
  userId: string,
  sha256: string,
  size: PhotoSize,
  photoBlobs: PhotoBlobStore,
): Promise<HttpResponseInit> {
  if (etagMatches(request.headers.get('if-none-match'), `"${sha256}-${size}"`)) {
    return { status: 304, headers: { ETag: `"${sha256}-${size}"`, 'Cache-Control': SIZED_CACHE } };
  }
  const sized = await sizedPhoto(userId, sha256, size, photoBlobs);
  switch (sized.kind) {
    case 'noPhoto':
      throw noPhoto();
    case 'notDecodable':
      context.warn(
        JSON.stringify({
          event: 'photoNotDecodable',
          userId,
          sha256: sized.sha256,
          size,
          reason: sized.reason,
        }),
      );
      throw new HttpError(
        422,
        'photoNotDecodable',
        'The stored photo could not be decoded as an image, so no sized copy can be made; the photo itself is served without ?size.',
      );
    case 'jpeg':
      return photoResponse(sized.bytes, {
        'Content-Type': 'image/jpeg',
        ETag: `"${sized.sha256}-${size}"`,
        'Cache-Control': SIZED_CACHE,
      });
  }
}

/**
 * `GET` and `HEAD /api/users/{userId}/photo`: the stored bytes, `ETag: "<sha256>"`; with `?size=N` a JPEG of
 * exactly N×N, `ETag: "<sha256>-<N>"`; 304 on `If-None-Match` either way.
 */
export const userPhotoHandler = handleHttpErrors(handleUserPhotoOrHead);

app.http('userPhoto', {
  route: 'users/{userId}/photo',
  methods: ['GET', 'HEAD'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: userPhotoHandler,
});
