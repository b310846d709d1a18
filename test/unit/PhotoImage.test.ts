import { MAX_PHOTO_BYTES, sniffImageType, verifyPhoto } from '../../src/domain/PhotoImage';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]);
const gif = Buffer.from('GIF89a\x01\x00', 'latin1');

test('types come from magic bytes', () => {
  expect(sniffImageType(jpeg)).toBe('image/jpeg');
  expect(sniffImageType(png)).toBe('image/png');
  expect(sniffImageType(gif)).toBe('image/gif');
  expect(sniffImageType(Buffer.from('<html>'))).toBeUndefined();
});

test.each([
  ['empty', Buffer.alloc(0), 'image/jpeg', 'emptyPhoto'],
  ['not an image', Buffer.from('<html>hello</html>'), 'image/jpeg', 'notAnImage'],
  ['declared type disagrees', png, 'image/jpeg', 'contentTypeMismatch'],
  ['over 4 MiB', Buffer.concat([jpeg, Buffer.alloc(MAX_PHOTO_BYTES)]), 'image/jpeg', 'photoTooLarge'],
])('%s → %s', (_name, bytes, declared, code) => {
  expect(verifyPhoto(bytes, declared)).toMatchObject({ code });
});

test('a good photo is hashed in lowercase hex; image/jpg and parameters are tolerated', () => {
  const result = verifyPhoto(jpeg, 'image/jpg; charset=binary');
  expect(result).toMatchObject({
    contentType: 'image/jpeg',
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
  });
  expect(verifyPhoto(png, 'application/octet-stream')).toMatchObject({ contentType: 'image/png' });
});
