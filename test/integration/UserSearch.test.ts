import { randomUUID } from 'node:crypto';
import type { HttpResponseInit } from '@azure/functions';
import { usersHandler } from '../../src/functions/users';
import type { DirectoryUser } from '../../src/graph/DirectoryUser';
import { StorageOpCounter } from '../../dev/bench/StorageOpCounter';
import { TestEnvironment } from '../helpers/TestEnvironment';

/**
 * `GET /api/users?search=` against real Azurite: the start of the display name or of any word in
 * it, of the UPN or of the mail, any case, accents aside; kept right when a name changes; paged
 * without repeats; answered from the search index, not a scan of the users.
 */

let t: TestEnvironment;
let storage: StorageOpCounter;

function person(displayName: string, local: string, mail?: string): DirectoryUser {
  return {
    id: randomUUID(),
    displayName,
    givenName: displayName.split(' ')[0],
    surname: displayName.split(' ').at(-1) ?? null,
    userPrincipalName: `${local}@contoso.example`,
    mail: mail ?? `${local}@contoso.example`,
    accountEnabled: true,
  };
}

const ada = person('Ada Lovelace', 'ada.lovelace', 'countess@analytical.example');
const grace = person('Grace Brewster Hopper', 'grace.hopper');
const jose = person('José Núñez-García', 'jnunez');
const guest = person("Seán O'Brien", 'sean_fabrikam.com#EXT#');
const filler = Array.from({ length: 60 }, (_, index) => person(`Filler Person${index}`, `filler${index}`));

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 0 });
  await t.services.identities.upsertCoreAttributes([ada, grace, jose, guest, ...filler], new Date());
  storage = new StorageOpCounter(t.azurite.ports);
});

afterAll(async () => {
  storage.close();
  await t.stop();
});

async function search(query: string, extra = ''): Promise<HttpResponseInit> {
  return t.http(usersHandler, {
    method: 'GET',
    path: `users?search=${encodeURIComponent(query)}${extra}`,
  });
}

async function names(query: string): Promise<string[]> {
  const response = await search(query);
  expect(response.status).toBe(200);
  return (response.jsonBody as { users: Array<{ displayName: string }> }).users
    .map((user) => user.displayName)
    .sort();
}

test.each([
  ['love', ['Ada Lovelace']],
  ['LOVE', ['Ada Lovelace']],
  ['ada', ['Ada Lovelace']],
  ['ada lov', ['Ada Lovelace']],
  ['ada.lovelace@', ['Ada Lovelace']],
  ['countess@analytical', ['Ada Lovelace']],
  ['hop', ['Grace Brewster Hopper']],
  ['brewster', ['Grace Brewster Hopper']],
  ['jose', ['José Núñez-García']],
  ['nunez', ['José Núñez-García']],
  ['garc', ['José Núñez-García']],
  ["o'b", ["Seán O'Brien"]],
  ['sean_fabrikam.com#ext#', ["Seán O'Brien"]],
  ['ovelace', []],
  ['lovelace ada', []],
  ['contoso', []],
])('"%s" finds %j', async (query, expected) => {
  expect(await names(query)).toEqual(expected);
});

test('a changed name is found by its new words, no longer by its old ones, and its old rows are gone', async () => {
  const renamed = { ...grace, displayName: 'Grace Murray', surname: 'Murray' };
  await t.services.identities.upsertCoreAttributes([renamed], new Date());
  expect(await names('murr')).toEqual(['Grace Murray']);
  expect(await names('hopper')).toEqual([]);
  expect(await names('brewster')).toEqual([]);
  expect(await names('grace.hopper')).toEqual(['Grace Murray']);
  const rows: string[] = [];
  for await (const row of t.services.storage.tables.userSearch.listEntities<{ userId: string }>())
    if (row.userId === grace.id) rows.push(row.rowKey ?? '');
  expect(rows.sort()).toEqual(
    ['grace', 'grace!0020murray', 'grace.hopper@contoso.example', 'murray']
      .map((key) => `${key},${grace.id}`)
      .sort(),
  );
  await t.services.identities.upsertCoreAttributes([grace], new Date());
});

test('pages of a search list every user once, and the last page says there is no more', async () => {
  const seen: string[] = [];
  let next: string | null = null;
  do {
    const response = await search(
      'filler',
      `&top=7${next === null ? '' : `&next=${encodeURIComponent(next)}`}`,
    );
    expect(response.status).toBe(200);
    const page = response.jsonBody as { users: Array<{ id: string }>; next: string | null };
    expect(page.users.length).toBeLessThanOrEqual(7);
    seen.push(...page.users.map((user) => user.id));
    next = page.next;
  } while (next !== null);
  expect(seen.length).toBe(filler.length);
  expect(new Set(seen).size).toBe(filler.length);
});

test('search and ?result= together: only the users with that last result', async () => {
  await t.services.identities.writePhotoFields([
    { userId: ada.id, fields: { lastResult: 'failed', lastErrorCode: 'permissionDenied' } },
  ]);
  const failed = await search('a', '&result=failed');
  expect((failed.jsonBody as { users: Array<{ id: string }> }).users.map((user) => user.id)).toEqual([
    ada.id,
  ]);
});

test('a search reads its index range and the users it found, never the whole users table', async () => {
  storage.take();
  expect(await names('love')).toEqual(['Ada Lovelace']);
  const ops = storage.take();
  expect(ops.tableOpsByTarget.PhotoSyncUserSearch).toBe(1);
  // One point read for each index row in the range: "lovelace" only.
  expect(ops.tableOpsByTarget.PhotoSyncUsers).toBe(1);
});

test.each([
  ['an empty search', '', ''],
  ['white space only', '   ', ''],
  ['a search over 256 characters', 'a'.repeat(257), ''],
  [
    'a next of another search',
    'ada',
    `&next=${Buffer.from('{"s":"grace","k":"grace,x"}').toString('base64url')}`,
  ],
  ['a next that is not one', 'ada', '&next=bm90LWpzb24'],
])('%s → 400', async (_what, query, extra) => {
  const response = await search(query, extra);
  expect(response.status).toBe(400);
  expect((response.jsonBody as { error: { code: string } }).error.code).toMatch(/^invalid(Search|Next)$/);
});
