import { TestEnvironment } from '../helpers/TestEnvironment';
import { settingsHandler } from '../../src/functions/settings';

let t: TestEnvironment;

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 3 });
});

afterAll(async () => {
  await t.stop();
});

beforeEach(async () => {
  await t.services.storage.tables.settings.deleteEntity('settings', 'photoSync').catch(() => undefined);
});

const get = () => t.http(settingsHandler, { method: 'GET', path: 'settings' });
const patch = (body: string, headers: Record<string, string> = {}) =>
  t.http(settingsHandler, { method: 'PATCH', path: 'settings', body, headers });

test('a new install reads both settings off, with an ETag', async () => {
  const response = await get();
  expect(response.status).toBe(200);
  expect(response.jsonBody).toMatchObject({
    userPhotos: false,
    syncUserPhotos: false,
    photoSyncActive: false,
  });
  expect((response.headers as Record<string, string>).ETag).toMatch(/.+/);
});

test('photo sync is active only when both are on', async () => {
  expect((await patch('{"userPhotos":true}')).jsonBody).toMatchObject({
    userPhotos: true,
    syncUserPhotos: false,
    photoSyncActive: false,
  });
  expect((await patch('{"syncUserPhotos":true}')).jsonBody).toMatchObject({
    userPhotos: true,
    syncUserPhotos: true,
    photoSyncActive: true,
  });
  expect((await patch('{"userPhotos":false}')).jsonBody).toMatchObject({
    userPhotos: false,
    syncUserPhotos: true,
    photoSyncActive: false,
  });
  const changes = t.logEvents('settingsChanged');
  expect(changes.at(-1)).toMatchObject({ setting: 'userPhotos', from: true, to: false });
});

test.each([
  ['a non-boolean', '{"userPhotos":"yes"}', 'invalidSettings'],
  ['an unknown key', '{"userPhotos":true,"somethingElse":true}', 'invalidSettings'],
  ['an old key', '{"userPicture":true}', 'invalidSettings'],
  ['no key at all', '{}', 'invalidSettings'],
  ['an array', '[true]', 'invalidSettings'],
  ['bad JSON', '{"userPhotos":tru', 'invalidJson'],
  ['an oversized body', JSON.stringify({ userPhotos: true, pad: 'x'.repeat(17 * 1024) }), 'bodyTooLarge'],
])('%s → 400 with an error body, and nothing changes', async (_name, body, code) => {
  await patch('{"userPhotos":true,"syncUserPhotos":false}');
  const before = await get();
  const response = await patch(body);
  expect(response.status).toBe(400);
  expect(response.jsonBody).toEqual({ error: { code, message: expect.any(String) } });
  expect(JSON.stringify(response.jsonBody)).not.toMatch(/at .*\.(ts|js):\d+/);
  const after = await get();
  expect(after.jsonBody).toEqual(before.jsonBody);
  expect((after.headers as Record<string, string>).ETag).toBe(
    (before.headers as Record<string, string>).ETag,
  );
});

test('If-Match: a stale ETag → 412 and nothing changes; the current one is accepted', async () => {
  const first = await get();
  const etag = (first.headers as Record<string, string>).ETag;
  await patch('{"userPhotos":true}');
  const stale = await patch('{"syncUserPhotos":true}', { 'If-Match': etag });
  expect(stale.status).toBe(412);
  expect((stale.jsonBody as { error: { code: string } }).error.code).toBe('preconditionFailed');
  expect((await get()).jsonBody).toMatchObject({ syncUserPhotos: false });
  const current = (await get()).headers as Record<string, string>;
  const ok = await patch('{"syncUserPhotos":true}', { 'If-Match': current.ETag });
  expect(ok.status).toBe(200);
  expect(ok.jsonBody).toMatchObject({ photoSyncActive: true });
});

test('a record written before syncUserPhotos existed reads it as false', async () => {
  await t.services.storage.tables.settings.upsertEntity(
    { partitionKey: 'settings', rowKey: 'photoSync', userPhotos: true },
    'Replace',
  );
  expect((await get()).jsonBody).toMatchObject({
    userPhotos: true,
    syncUserPhotos: false,
    photoSyncActive: false,
  });
});

test('a record from before the rename carries userPicture over as userPhotos', async () => {
  await t.services.storage.tables.settings.upsertEntity(
    { partitionKey: 'settings', rowKey: 'photoSync', userPicture: true, syncUserPhotos: true },
    'Replace',
  );
  expect((await get()).jsonBody).toMatchObject({
    userPhotos: true,
    syncUserPhotos: true,
    photoSyncActive: true,
  });
  await t.services.storage.tables.settings.upsertEntity(
    { partitionKey: 'settings', rowKey: 'photoSync', userPicture: false },
    'Replace',
  );
  expect((await get()).jsonBody).toMatchObject({ userPhotos: false, syncUserPhotos: false });
});

test('other methods → 405 with Allow', async () => {
  const response = await t.http(settingsHandler, { method: 'DELETE', path: 'settings' });
  expect(response.status).toBe(405);
  expect((response.headers as Record<string, string>).Allow).toBe('GET, PATCH');
});

test('with App Service authentication on, PATCH needs the PhotoSync.Admin role', async () => {
  const principal = (roles: string[]) =>
    Buffer.from(
      JSON.stringify({
        claims: [{ typ: 'name', val: 'Ada' }, ...roles.map((val) => ({ typ: 'roles', val }))],
      }),
    ).toString('base64');
  const denied = await patch('{"userPhotos":true}', { 'x-ms-client-principal': principal(['Reader']) });
  expect(denied.status).toBe(403);
  expect((await get()).jsonBody).toMatchObject({ userPhotos: false });
  const allowed = await patch('{"userPhotos":true}', {
    'x-ms-client-principal': principal(['PhotoSync.Admin']),
  });
  expect(allowed.status).toBe(200);
  expect(t.logEvents('settingsChanged').at(-1)).toMatchObject({ by: 'Ada', to: true });
});
