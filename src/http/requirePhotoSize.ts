import type { HttpRequest } from '@azure/functions';
import { parsePhotoSize, PHOTO_SIZES, type PhotoSize } from '../domain/PhotoSize';
import { HttpError } from './HttpError';

/** `?size=`: absent → the original photo; one of Graph's sizes → that size; anything else → 400. */
export function requirePhotoSize(request: HttpRequest): PhotoSize | undefined {
  const values = request.query.getAll('size');
  if (values.length === 0) return undefined;
  const size = values.length === 1 ? parsePhotoSize(values[0]) : undefined;
  if (size === undefined)
    throw new HttpError(
      400,
      'invalidSize',
      `size is one of ${PHOTO_SIZES.join(', ')} (pixels of a square JPEG), given once; leave it out for the stored photo.`,
    );
  return size;
}
