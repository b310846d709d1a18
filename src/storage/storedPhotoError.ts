import { PhotoErrorSchema, type PhotoError } from '../domain/PhotoError';

/**
 * A photo error as tables keep it, in two text columns ('' when there is none), read back and
 * checked against the closed list of codes.
 */
export function storedPhotoError(code: string | undefined, message: string | undefined): PhotoError | null {
  return code ? PhotoErrorSchema.parse({ code, message: message ?? '' }) : null;
}
