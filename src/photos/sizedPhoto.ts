import type { PhotoSize } from '../domain/PhotoSize';
import type { PhotoBlobStore } from '../storage/PhotoBlobStore';
import { squareJpeg } from './squareJpeg';

export type SizedPhoto =
  | { kind: 'jpeg'; bytes: Buffer; sha256: string }
  | { kind: 'noPhoto' }
  /** The stored photo's bytes do not decode: no copy is made; the original is still served as it is. */
  | { kind: 'notDecodable'; sha256: string; reason: string };

/**
 * A user's photo at one size: the kept copy when there is one, else made from the stored photo
 * and kept. The copy is named by the hash of the bytes actually read (the blob's own), not the
 * record's: a photo replaced between the record read and the blob read gets a copy of its own.
 */
export async function sizedPhoto(
  userId: string,
  sha256: string,
  size: PhotoSize,
  photos: Pick<PhotoBlobStore, 'read' | 'readSized' | 'writeSized'>,
): Promise<SizedPhoto> {
  const kept = await photos.readSized(userId, sha256, size);
  if (kept !== undefined) return { kind: 'jpeg', bytes: kept, sha256 };
  const original = await photos.read(userId);
  if (original === undefined) return { kind: 'noPhoto' };
  const source = original.sha256 || sha256;
  const square = await squareJpeg(original.bytes, size);
  if (square.kind === 'notDecodable') return { kind: 'notDecodable', sha256: source, reason: square.reason };
  await photos.writeSized(userId, source, size, square.bytes);
  return { kind: 'jpeg', bytes: square.bytes, sha256: source };
}
