import { createHash } from 'node:crypto';
import type { PhotoError } from './PhotoError';

export const MAX_PHOTO_BYTES = 4 * 1024 * 1024;

export type ImageContentType = 'image/jpeg' | 'image/png' | 'image/gif';

/** A downloaded photo that passed every check, with the hash that decides whether it changed. */
export interface VerifiedPhoto {
  bytes: Buffer;
  contentType: ImageContentType;
  sha256: string;
}

export function photoTooLarge(size: number): PhotoError {
  return {
    code: 'photoTooLarge',
    message: `The photo is ${size} bytes; at most ${MAX_PHOTO_BYTES} bytes are stored.`,
  };
}

/** The content type is decided by the bytes: Graph's declared type is only cross-checked. */
export function sniffImageType(bytes: Buffer): ImageContentType | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 8 &&
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
  )
    return 'image/png';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString('latin1'))) return 'image/gif';
  return undefined;
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function normalizeContentType(value: string | undefined): string | undefined {
  const type = value?.split(';')[0].trim().toLowerCase();
  return type === 'image/jpg' || type === 'image/pjpeg' ? 'image/jpeg' : type;
}

/**
 * Checks downloaded bytes before anything is stored: non-empty, at most 4 MiB, a JPEG, PNG or GIF by
 * its magic bytes, and of the type Graph declared (when it declared an image type).
 */
export function verifyPhoto(
  bytes: Buffer,
  declaredContentType: string | undefined,
): VerifiedPhoto | PhotoError {
  if (bytes.length === 0) return { code: 'emptyPhoto', message: 'Graph returned an empty photo.' };
  if (bytes.length > MAX_PHOTO_BYTES) return photoTooLarge(bytes.length);
  const contentType = sniffImageType(bytes);
  if (contentType === undefined) {
    return {
      code: 'notAnImage',
      message: 'The photo is not a JPEG, PNG or GIF image (checked by its first bytes).',
    };
  }
  const declared = normalizeContentType(declaredContentType);
  if (declared !== undefined && declared.startsWith('image/') && declared !== contentType) {
    return {
      code: 'contentTypeMismatch',
      message: `Graph declared ${declared} but the bytes are ${contentType}.`,
    };
  }
  return { bytes, contentType, sha256: sha256Hex(bytes) };
}

export function isPhotoError(value: VerifiedPhoto | PhotoError): value is PhotoError {
  return 'code' in value;
}
