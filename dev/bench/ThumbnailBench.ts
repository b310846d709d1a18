import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import sharp from 'sharp';
import type { PhotoSize } from '../../src/domain/PhotoSize';
import { squareJpeg } from '../../src/photos/squareJpeg';
import type { IdentityStore } from '../../src/storage/IdentityStore';
import { mapWithConcurrency } from '../../src/sync/mapWithConcurrency';
import type { RegisteredFunction } from '../host/FunctionRegistry';

/** The console's thumbnail size. */
const SIZE: PhotoSize = 96;
/** Photos asked for: enough for a stable rate, few enough to take seconds. */
const SAMPLE = 300;
/** Requests in flight at once, as a page of thumbnails in a browser asks for them. */
const CONCURRENCY = 6;

export interface ThumbnailReport {
  size: PhotoSize;
  photos: number;
  /** First request for each photo through the app's handler: original read, decoded, cropped, scaled, encoded, kept. */
  madePerSecond: number;
  /** The same requests again: the kept copies. */
  servedPerSecond: number;
  failed: number;
  /** Bytes of the 96×96 JPEGs of the sample (the simulator's flat-celled pictures compress well). */
  bytes: { median: number; max: number };
  /** Bytes of the 96×96 of a 648×648 photo-like picture (smooth gradients and fine noise). */
  photoLikeBytes: number;
}

const round = (value: number): number => Number(value.toPrecision(4));

/** A 648×648 picture with what makes photos cost bytes: gradients, texture and noise, softened a little. */
async function photoLike(): Promise<Buffer> {
  const side = 648;
  const rgb = Buffer.alloc(side * side * 3);
  let noise = 0x2545f491;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      noise ^= noise << 13;
      noise ^= noise >>> 17;
      noise ^= noise << 5;
      const jitter = (noise >>> 0) % 32;
      const o = (y * side + x) * 3;
      rgb[o] = ((x * 200) / side + jitter) | 0;
      rgb[o + 1] = ((y * 180) / side + jitter) | 0;
      rgb[o + 2] = (90 + Math.sin(x / 11) * 50 + Math.cos(y / 7) * 30 + jitter) | 0;
    }
  }
  return sharp(rgb, { raw: { width: side, height: side, channels: 3 } })
    .blur(1.2)
    .jpeg({ quality: 90 })
    .toBuffer();
}

/**
 * `GET /api/users/{userId}/photo?size=96` for a sample of stored photos, through the handler the
 * app registers, twice: the first pass makes and keeps each copy, the second serves the kept ones.
 */
export async function measureThumbnails(
  functions: readonly RegisteredFunction[],
  identities: Pick<IdentityStore, 'list'>,
): Promise<ThumbnailReport> {
  const registered = functions.find((fn) => fn.name === 'userPhoto');
  if (registered === undefined) throw new Error('the app registers no function userPhoto');
  const handler = registered.handler as (
    request: HttpRequest,
    context: InvocationContext,
  ) => Promise<HttpResponseInit>;
  const page = await identities.list({ top: SAMPLE });
  const userIds = page.users.filter((user) => user.photoSha256).map((user) => user.rowKey);
  const ask = (userId: string) =>
    handler(
      new HttpRequest({
        method: 'GET',
        url: `http://localhost/api/users/${userId}/photo?size=${SIZE}`,
        params: { userId },
      }),
      new InvocationContext({ invocationId: randomUUID(), functionName: 'userPhoto', logHandler: () => {} }),
    );
  const pass = async () => {
    const started = performance.now();
    const responses = await mapWithConcurrency(userIds, CONCURRENCY, ask);
    return { seconds: (performance.now() - started) / 1000, responses };
  };
  const made = await pass();
  const served = await pass();
  const sizes = made.responses
    .filter((response) => response.status === 200)
    .map((response) => (response.body as Buffer).length)
    .sort((a, b) => a - b);
  const photo = await squareJpeg(await photoLike(), SIZE);
  return {
    size: SIZE,
    photos: userIds.length,
    madePerSecond: round(userIds.length / made.seconds),
    servedPerSecond: round(userIds.length / served.seconds),
    failed: [...made.responses, ...served.responses].filter((response) => response.status !== 200).length,
    bytes: { median: sizes[Math.floor(sizes.length / 2)] ?? 0, max: sizes.at(-1) ?? 0 },
    photoLikeBytes: photo.kind === 'jpeg' ? photo.bytes.length : 0,
  };
}
