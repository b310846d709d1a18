import sharp from 'sharp';
import type { PhotoSize } from '../domain/PhotoSize';

/**
 * 85 rather than sharp's default 80: faces at 48-96 pixels lose detail first, and the difference
 * is a few hundred bytes (a 96×96 is about 2 KB; docs/performance.md has the measured figures).
 */
export const JPEG_QUALITY = 85;

/**
 * A stored photo is at most 4 MiB, but a small PNG can declare a huge canvas: 25 megapixels
 * (5000×5000) is far beyond any profile photo and bounds the memory one decode takes.
 */
const MAX_INPUT_PIXELS = 25_000_000;

export type SquareJpeg = { kind: 'jpeg'; bytes: Buffer } | { kind: 'notDecodable'; reason: string };

/**
 * The photo centre-cropped to a square and scaled (up, for a tiny original) to exactly size×size.
 * EXIF orientation is applied first, so the crop is of the picture as people see it; transparency
 * (PNG, GIF) is laid on white, as JPEG has none; an animated GIF gives its first frame.
 */
export async function squareJpeg(bytes: Buffer, size: PhotoSize): Promise<SquareJpeg> {
  try {
    const jpeg = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'error' })
      .rotate()
      .resize(size, size, { fit: 'cover', position: 'centre' })
      .flatten({ background: '#ffffff' })
      .jpeg({ quality: JPEG_QUALITY })
      .toBuffer();
    return { kind: 'jpeg', bytes: jpeg };
  } catch (error) {
    // libvips says what is wrong with the bytes (truncated, bad header, too many pixels): no stack, no bytes.
    return { kind: 'notDecodable', reason: error instanceof Error ? error.message : String(error) };
  }
}
