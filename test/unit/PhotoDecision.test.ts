import { decideFromDownload, decideFromMetadata, type StoredPhoto } from '../../src/domain/PhotoDecision';
import { verifyPhoto, type VerifiedPhoto } from '../../src/domain/PhotoImage';

const now = new Date('2026-11-26T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const photo = verifyPhoto(png, 'image/png') as VerifiedPhoto;
const stored: StoredPhoto = { sha256: photo.sha256, etag: 'W/"1"', verifiedAt: daysAgo(1) };

describe('decideFromMetadata: ETag first', () => {
  test('same ETag, verified within the recheck period → unchanged without a download', () => {
    expect(decideFromMetadata(stored, { kind: 'photo', etag: 'W/"1"' }, now, 7)).toEqual({
      outcome: 'unchanged',
      action: 'none',
    });
  });
  test('same ETag but the recheck is due → download', () => {
    expect(
      decideFromMetadata({ ...stored, verifiedAt: daysAgo(8) }, { kind: 'photo', etag: 'W/"1"' }, now, 7),
    ).toMatchObject({ outcome: 'download' });
  });
  test('new ETag → download', () => {
    expect(
      decideFromMetadata(stored, { kind: 'photo', etag: 'W/"2"', contentType: 'image/png' }, now, 7),
    ).toEqual({ outcome: 'download', etag: 'W/"2"', contentType: 'image/png' });
  });
  test('nothing stored → download', () => {
    expect(decideFromMetadata({}, { kind: 'photo', etag: 'W/"1"' }, now, 7)).toMatchObject({
      outcome: 'download',
    });
  });
  test('no photo in Graph: removed when one is stored, noPhoto otherwise', () => {
    expect(decideFromMetadata(stored, { kind: 'noPhoto' }, now, 7)).toEqual({
      outcome: 'removed',
      action: 'deletePhoto',
    });
    expect(decideFromMetadata({}, { kind: 'noPhoto' }, now, 7)).toEqual({
      outcome: 'noPhoto',
      action: 'none',
    });
  });
  test('a failure writes nothing but its error', () => {
    const error = { code: 'throttled' as const, message: 'm' };
    expect(decideFromMetadata(stored, { kind: 'failed', error }, now, 7)).toEqual({
      outcome: 'failed',
      action: 'none',
      error,
    });
  });
});

describe('decideFromDownload: SHA-256 is the truth', () => {
  test('same bytes under a new ETag → unchanged, only the ETag kept', () => {
    expect(decideFromDownload(stored, { kind: 'photo', photo }, 'W/"2"')).toEqual({
      outcome: 'unchanged',
      action: 'keepEtag',
      etag: 'W/"2"',
    });
  });
  test('other bytes → updated; first photo → added', () => {
    const other = verifyPhoto(Buffer.concat([png, Buffer.from([1])]), undefined) as VerifiedPhoto;
    expect(decideFromDownload(stored, { kind: 'photo', photo: other }, 'W/"2"')).toMatchObject({
      outcome: 'updated',
      action: 'writePhoto',
    });
    expect(decideFromDownload({}, { kind: 'photo', photo }, 'W/"1"')).toMatchObject({
      outcome: 'added',
      action: 'writePhoto',
    });
  });
  test('gone between metadata and download → removed', () => {
    expect(decideFromDownload(stored, { kind: 'noPhoto' }, 'W/"2"')).toEqual({
      outcome: 'removed',
      action: 'deletePhoto',
    });
  });
});

describe('run ids', () => {
  test('carry their start time to the millisecond and sort by it', () => {
    const { newRunId, runIdTime } =
      jest.requireActual<typeof import('../../src/domain/Run')>('../../src/domain/Run');
    const a = newRunId(new Date('2026-11-26T20:04:12.120Z'));
    const b = newRunId(new Date('2026-11-26T20:04:12.121Z'));
    expect(a).toMatch(/^20261126T200412\.120Z-[0-9a-f]{6}$/);
    expect(runIdTime(a).toISOString()).toBe('2026-11-26T20:04:12.120Z');
    expect(a < b).toBe(true);
    expect(runIdTime('20261126T200412Z-abcdef').toISOString()).toBe('2026-11-26T20:04:12.000Z');
  });
});
