import { isValidUserId } from '../../src/domain/UserId';
import { parsePhotoJob } from '../../src/domain/PhotoJob';
import { chunks } from '../../src/domain/chunks';

describe('user ids (docs/design.md, "HTTP API")', () => {
  test.each([
    '8f2c1a3e-4b5d-4e6f-9a0b-1c2d3e4f5a6b',
    '8F2C1A3E-4B5D-4E6F-9A0B-1C2D3E4F5A6B',
    'ada.lovelace@contoso.com',
    "o'brien@contoso.com",
    'guest_fabrikam.com#EXT#@contoso.onmicrosoft.com',
  ])('accepts %s', (id) => expect(isValidUserId(id)).toBe(true));

  test.each([
    ['empty', ''],
    ['path traversal', '../../etc/passwd'],
    ['slash', 'a/b@contoso.com'],
    ['backslash', 'a\\b@contoso.com'],
    ['query', 'a?b@contoso.com'],
    ['whitespace', 'ada lovelace@contoso.com'],
    ['control character', 'ada\u0000@contoso.com'],
    ['OData injection', "x' or PartitionKey ne '"],
    ['no domain', 'ada'],
    ['too long', `${'a'.repeat(250)}@contoso.com`],
    ['not a string', 42],
  ])('refuses %s', (_name, id) => expect(isValidUserId(id)).toBe(false));
});

describe('photo job messages', () => {
  const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  test('a valid job is accepted as object or JSON text, ids lowercased', () => {
    const job = { runId: '20261126T200412Z-abcdef', jobId: '7', userIds: [id(1).toUpperCase()] };
    expect(parsePhotoJob(job)).toEqual({ ok: true, value: { ...job, userIds: [id(1)] } });
    expect(parsePhotoJob(JSON.stringify(job))).toMatchObject({ ok: true });
  });
  test("a check job's planned states are accepted, keyed by the lowercased ids", () => {
    const state = { photoEtag: '"BA09"', photoSha256: 'ab'.repeat(32), lastResult: 'unchanged' };
    const job = {
      runId: '20261126T200412Z-abcdef',
      jobId: id(2),
      userIds: [id(1).toUpperCase(), id(2)],
      stored: { [id(1).toUpperCase()]: state, [id(2)]: {} },
    };
    expect(parsePhotoJob(job)).toEqual({
      ok: true,
      value: { ...job, userIds: [id(1), id(2)], stored: { [id(1)]: state, [id(2)]: {} } },
    });
  });
  test.each([
    ['not JSON', 'nope', /not JSON/],
    [
      'extra key',
      { runId: '20261126T200412Z-abcdef', jobId: '1', userIds: [id(1)], extra: 1 },
      /Unrecognized key/i,
    ],
    [
      '21 ids',
      { runId: '20261126T200412Z-abcdef', jobId: '1', userIds: Array.from({ length: 21 }, (_, n) => id(n)) },
      /more than 20/,
    ],
    [
      'a repeated id',
      { runId: '20261126T200412Z-abcdef', jobId: '1', userIds: [id(1), id(1).toUpperCase()] },
      /appears twice/,
    ],
    ['a UPN', { runId: '20261126T200412Z-abcdef', jobId: '1', userIds: ['ada@contoso.com'] }, /object id/],
    ['a bad run id', { runId: "x' or 1 eq 1", jobId: '1', userIds: [id(1)] }, /run id/],
    [
      'a state for a user not in the job',
      {
        runId: '20261126T200412Z-abcdef',
        jobId: '1',
        userIds: [id(1)],
        stored: { [id(1)]: {}, [id(2)]: {} },
      },
      /stored does not name exactly/,
    ],
    [
      'a user without a state',
      { runId: '20261126T200412Z-abcdef', jobId: '1', userIds: [id(1), id(2)], stored: { [id(1)]: {} } },
      /stored does not name exactly/,
    ],
    [
      'an unknown outcome in a state',
      {
        runId: '20261126T200412Z-abcdef',
        jobId: '1',
        userIds: [id(1)],
        stored: { [id(1)]: { lastResult: 'ok' } },
      },
      /stored/,
    ],
  ])('refuses %s with its reason', (_name, message, reason) => {
    const result = parsePhotoJob(message);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('chunks', () => {
  test('cuts in order into pieces of the size, the last one shorter, every item exactly once', () => {
    const items = Array.from({ length: 45 }, (_, n) => n);
    const pieces = chunks(items, 20);
    expect(pieces.map((piece) => piece.length)).toEqual([20, 20, 5]);
    expect(pieces.flat()).toEqual(items);
    expect(chunks([], 20)).toEqual([]);
  });
});
