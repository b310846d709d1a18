import { createHash } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import sharp from 'sharp';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { userPhotoHandler } from '../../src/functions/userPhoto';
import { PHOTO_SIZES } from '../../src/domain/PhotoSize';

/**
 * `GET /api/users/{userId}/photo?size=N` through the real handler, against real Azurite and the
 * Graph simulator: photos of every shape and format are synced by a run, then asked for at each
 * size and decoded, so what is checked is the JPEG a kiosk would receive.
 */

let t: TestEnvironment;
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const headers = (response: HttpResponseInit): Record<string, string> =>
  (response.headers ?? {}) as Record<string, string>;

type Format = 'jpeg' | 'png' | 'gif';
const CONTENT_TYPES: Record<Format, string> = { jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif' };

/**
 * Three vertical (or, for a portrait, horizontal) bands, red | green | blue, the middle one a
 * square: a centre crop is all green, where a squashed or corner-cropped image is not.
 */
async function banded(width: number, height: number, format: Format): Promise<Buffer> {
  const landscape = width >= height;
  const side = Math.min(width, height);
  const outer = Math.floor(((landscape ? width : height) - side) / 2);
  const band = (w: number, h: number, colour: { r: number; g: number; b: number }) =>
    sharp({ create: { width: Math.max(1, w), height: Math.max(1, h), channels: 3, background: colour } })
      .png()
      .toBuffer();
  const image = sharp({ create: { width, height, channels: 3, background: { r: 0, g: 200, b: 0 } } });
  const layers =
    outer === 0
      ? []
      : [
          {
            input: await band(landscape ? outer : width, landscape ? height : outer, { r: 220, g: 0, b: 0 }),
            left: 0,
            top: 0,
          },
          {
            input: await band(landscape ? outer : width, landscape ? height : outer, { r: 0, g: 0, b: 220 }),
            left: landscape ? outer + side : 0,
            top: landscape ? 0 : outer + side,
          },
        ];
  return image.composite(layers).toFormat(format).toBuffer();
}

interface Original {
  name: string;
  width: number;
  height: number;
  format: Format;
}

const ORIGINALS: Original[] = [
  { name: 'square JPEG', width: 648, height: 648, format: 'jpeg' },
  { name: 'landscape JPEG', width: 900, height: 300, format: 'jpeg' },
  { name: 'portrait PNG', width: 240, height: 600, format: 'png' },
  { name: 'landscape GIF', width: 500, height: 200, format: 'gif' },
  { name: 'tiny JPEG', width: 21, height: 13, format: 'jpeg' },
  { name: 'tiny PNG', width: 12, height: 30, format: 'png' },
  { name: 'tiny GIF', width: 16, height: 16, format: 'gif' },
];

/** Passes the app's magic-byte check (a JPEG's first three bytes), but is no image. */
const UNDECODABLE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600, 0x5a)]);

const users = new Map<string, string>();
const userFor = (name: string): string => users.get(name)!;

const getPhoto = (userId: string, query = '', requestHeaders: Record<string, string> = {}) =>
  t.http(userPhotoHandler, {
    method: 'GET',
    path: `users/${encodeURIComponent(userId)}/photo${query}`,
    params: { userId },
    headers: requestHeaders,
  });

async function storedSha(userId: string): Promise<string> {
  const record = await t.services.identities.get(userId);
  if (!record?.photoSha256) throw new Error(`no photo stored for ${userId}`);
  return record.photoSha256;
}

async function sizedNames(userId: string): Promise<string[]> {
  const names: string[] = [];
  for await (const name of t.services.photoBlobs.sizedNames(userId)) names.push(name);
  return names.sort();
}

/** Mean colour of the decoded image, rounded. */
async function meanColour(jpeg: Buffer): Promise<{ r: number; g: number; b: number }> {
  const { channels } = await sharp(jpeg).stats();
  const [r, g, b] = channels.map((channel) => Math.round(channel.mean));
  return { r, g, b };
}

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 12 });
  [...ORIGINALS.map((original) => original.name), 'undecodable', 'changing', 'removed'].forEach(
    (name, index) => users.set(name, t.tenant.userAt(index).id),
  );
  for (const original of ORIGINALS)
    t.tenant.setPhoto(
      userFor(original.name),
      await banded(original.width, original.height, original.format),
      CONTENT_TYPES[original.format],
    );
  t.tenant.setPhoto(userFor('undecodable'), UNDECODABLE, 'image/jpeg');
  await t.setSettings(true, true);
  const run = await t.runSync();
  expect(run.photos.failed).toBe(0);
});

afterAll(async () => {
  await t.stop();
});

describe('every size of every kind of original', () => {
  test.each(ORIGINALS.map((original) => [original.name]))(
    '%s: a JPEG of exactly N×N, centre-cropped, for each of Graph’s sizes',
    async (name) => {
      const userId = userFor(name);
      const sha = await storedSha(userId);
      for (const size of PHOTO_SIZES) {
        const response = await getPhoto(userId, `?size=${size}`);
        expect(response.status).toBe(200);
        expect(headers(response)).toMatchObject({ 'Content-Type': 'image/jpeg', ETag: `"${sha}-${size}"` });
        const body = response.body as Buffer;
        const metadata = await sharp(body).metadata();
        expect({ format: metadata.format, width: metadata.width, height: metadata.height }).toEqual({
          format: 'jpeg',
          width: size,
          height: size,
        });
        // Only the green middle band survives a centre crop (JPEG blurs the band edges a little).
        const colour = await meanColour(body);
        expect(colour.g).toBeGreaterThan(170);
        expect(Math.max(colour.r, colour.b)).toBeLessThan(40);
      }
    },
  );

  test('a 96×96 of a 648×648 photo is a few KB', async () => {
    const response = await getPhoto(userFor('square JPEG'), '?size=96');
    expect((response.body as Buffer).length).toBeLessThan(8 * 1024);
  });
});

describe('ETags, revalidation and caching', () => {
  test('each size has its own ETag, and If-None-Match with it is a 304 without a body', async () => {
    const userId = userFor('square JPEG');
    const sha = await storedSha(userId);
    const etags = new Set<string>();
    for (const size of PHOTO_SIZES) {
      const etag = `"${sha}-${size}"`;
      etags.add(etag);
      const notModified = await getPhoto(userId, `?size=${size}`, { 'If-None-Match': etag });
      expect(notModified.status).toBe(304);
      expect(notModified.body).toBeUndefined();
      expect(headers(notModified)).toMatchObject({ ETag: etag });
    }
    expect(etags.size).toBe(PHOTO_SIZES.length);
    // Another size's ETag, or the original's, is not this size's.
    expect((await getPhoto(userId, '?size=96', { 'If-None-Match': `"${sha}-48"` })).status).toBe(200);
    expect((await getPhoto(userId, '?size=96', { 'If-None-Match': `"${sha}"` })).status).toBe(200);
    expect((await getPhoto(userId, '', { 'If-None-Match': `"${sha}-96"` })).status).toBe(200);
  });

  test('sized copies may be cached privately for a while, then must be revalidated', async () => {
    const response = await getPhoto(userFor('square JPEG'), '?size=240');
    expect(headers(response)['Cache-Control']).toBe('private, max-age=300, must-revalidate');
  });

  test('each size is made once and kept, named by the photo’s hash and the size', async () => {
    const userId = userFor('portrait PNG');
    const sha = await storedSha(userId);
    await getPhoto(userId, '?size=64');
    expect(await sizedNames(userId)).toContain(`sizes/${userId}/${sha}-64.jpg`);
    // The kept copy is what is served: replace it with a marker and ask again.
    const marker = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff00ff' } })
      .jpeg()
      .toBuffer();
    await t.services.storage.photoContainer
      .getBlockBlobClient(`sizes/${userId}/${sha}-64.jpg`)
      .uploadData(marker);
    const served = await getPhoto(userId, '?size=64');
    expect(sha256(served.body as Buffer)).toBe(sha256(marker));
  });
});

describe('a photo that changes or goes', () => {
  test('a changed photo gets new sized copies, and the old ones are deleted', async () => {
    const userId = userFor('changing');
    const before = await storedSha(userId);
    for (const size of [48, 96, 648]) expect((await getPhoto(userId, `?size=${size}`)).status).toBe(200);
    expect(await sizedNames(userId)).toEqual(
      [48, 648, 96].map((size) => `sizes/${userId}/${before}-${size}.jpg`),
    );

    t.tenant.setPhoto(userId, await banded(400, 400, 'png'), 'image/png');
    const run = await t.runSync();
    expect(run.photos.updated).toBe(1);
    const after = await storedSha(userId);
    expect(after).not.toBe(before);
    expect(await sizedNames(userId)).toEqual([]);

    const old = await getPhoto(userId, '?size=96', { 'If-None-Match': `"${before}-96"` });
    expect(old.status).toBe(200);
    expect(headers(old).ETag).toBe(`"${after}-96"`);
    expect((await meanColour(old.body as Buffer)).g).toBeGreaterThan(170);
    expect(await sizedNames(userId)).toEqual([`sizes/${userId}/${after}-96.jpg`]);
  });

  test('a removed photo takes its sized copies with it', async () => {
    const userId = userFor('removed');
    expect((await getPhoto(userId, '?size=120')).status).toBe(200);
    expect(await sizedNames(userId)).toHaveLength(1);
    t.tenant.removePhoto(userId);
    const run = await t.runSync();
    expect(run.photos.removed).toBe(1);
    expect(await sizedNames(userId)).toEqual([]);
    const response = await getPhoto(userId, '?size=120');
    expect(response.status).toBe(404);
    expect(response.jsonBody).toEqual({ error: { code: 'photoNotFound', message: expect.any(String) } });
  });

  test('sized copies are not listed as stored photos', async () => {
    const names: string[] = [];
    for await (const name of t.services.photoBlobs.names()) names.push(name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => name.includes('/'))).toEqual([]);
  });
});

describe('refused sizes and undecodable photos', () => {
  test.each([
    ['95'],
    ['0'],
    ['-96'],
    ['96.0'],
    ['096'],
    [' 96'],
    ['1e2'],
    ['0x60'],
    ['abc'],
    [''],
    ['6480'],
    ['1000'],
    ['96&size=48'],
  ])('size=%s → 400 invalidSize', async (value) => {
    const response = await getPhoto(userFor('square JPEG'), `?size=${value}`);
    expect({ status: response.status, body: response.jsonBody }).toEqual({
      status: 400,
      body: { error: { code: 'invalidSize', message: expect.stringContaining('48, 64, 96') } },
    });
  });

  test('a photo that cannot be decoded: a clear JSON error for a size, the original still served', async () => {
    const userId = userFor('undecodable');
    const sized = await getPhoto(userId, '?size=96');
    expect(sized.status).toBe(422);
    expect(sized.jsonBody).toEqual({
      error: { code: 'photoNotDecodable', message: expect.stringContaining('could not be decoded') },
    });
    expect(await sizedNames(userId)).toEqual([]);
    expect(t.logEvents('photoNotDecodable')).toEqual([expect.objectContaining({ userId, size: 96 })]);

    const original = await getPhoto(userId);
    expect(original.status).toBe(200);
    expect(sha256(original.body as Buffer)).toBe(sha256(UNDECODABLE));
  });
});
