import type { HttpRequest } from '@azure/functions';
import { parsePhotoSize, PHOTO_SIZES, type PhotoSize } from '../domain/PhotoSize';
import { HttpError } from './HttpError';
import { singleQueryValue } from './singleQueryValue';

/** `?size=`: absent → the original photo; one of Graph's sizes → that size; anything else → 400. */
export function requirePhotoSize(request: HttpRequest): PhotoSize | undefined {
  return singleQueryValue(
    request,
    'size',
    parsePhotoSize,
    () =>
      new HttpError(
        400,
        'invalidSize',
        `size is one of ${PHOTO_SIZES.join(', ')} (pixels of a square JPEG), given once; leave it out for the stored photo.`,
      ),
  );
}
