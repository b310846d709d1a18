import { JSON_CONTENT, TestEnvironment } from '../helpers/TestEnvironment';
import { settingsHandler } from '../../src/functions/settings';
import { settingsHistoryHandler } from '../../src/functions/settingsHistory';
import { MethodInterceptor } from '../helpers/MethodInterceptor';

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
  t.http(settingsHandler, {
    method: 'PATCH',
    path: 'settings',
    body,
    headers: { ...JSON_CONTENT, ...headers },
  });

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
  ['a non-boolean', '{"userPhotos":"yes"}', 400, 'invalidSettings'],
  ['an unknown key', '{"userPhotos":true,"somethingElse":true}', 400, 'invalidSettings'],
  ['an old key', '{"userPicture":true}', 400, 'invalidSettings'],
  ['no key at all', '{}', 400, 'invalidSettings'],
  ['an array', '[true]', 400, 'invalidSettings'],
  ['bad JSON', '{"userPhotos":tru', 400, 'invalidJson'],
  [
    'an oversized body',
    JSON.stringify({ userPhotos: true, pad: 'x'.repeat(17 * 1024) }),
    413,
    'payloadTooLarge',
  ],
])('%s → %i with an error body, and nothing changes', async (_name, body, status, code) => {
  await patch('{"userPhotos":true,"syncUserPhotos":false}');
  const before = await get();
  const response = await patch(body);
  expect(response.status).toBe(status);
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

/** As App Service sets it on an instance with App Service authentication on, for the duration of `body`. */
async function withSignIn<T>(body: () => Promise<T>): Promise<T> {
  process.env.WEBSITE_INSTANCE_ID = 'test-instance';
  process.env.WEBSITE_AUTH_ENABLED = 'True';
  try {
    return await body();
  } finally {
    delete process.env.WEBSITE_INSTANCE_ID;
    delete process.env.WEBSITE_AUTH_ENABLED;
  }
}

test('with App Service authentication on, PATCH needs the PhotoSync.Admin role', async () => {
  const principal = (roles: string[]) =>
    Buffer.from(
      JSON.stringify({
        claims: [{ typ: 'name', val: 'Ada' }, ...roles.map((val) => ({ typ: 'roles', val }))],
      }),
    ).toString('base64');
  const denied = await withSignIn(() =>
    patch('{"userPhotos":true}', { 'x-ms-client-principal': principal(['PhotoSync.Reader']) }),
  );
  expect(denied.status).toBe(403);
  expect((await get()).jsonBody).toMatchObject({ userPhotos: false });
  const allowed = await withSignIn(() =>
    patch('{"userPhotos":true}', { 'x-ms-client-principal': principal(['PhotoSync.Admin']) }),
  );
  expect(allowed.status).toBe(200);
  expect(t.logEvents('settingsChanged').at(-1)).toMatchObject({ by: 'Ada', to: true });
});

const GROUP = '0b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER_GROUP = '1c2d3e4f-5061-4b7c-9d8e-af0b1c2d3e4f';

const history = (query = '') =>
  t.http(settingsHistoryHandler, { method: 'GET', path: `settings/history${query}` });
type HistoryBody = {
  changes: Array<{ at: string; by: string; changes: Record<string, { from: unknown; to: unknown }> }>;
  next: string | null;
};

test('the scope groups: a GUID or null, read back, and who changed the settings last', async () => {
  expect((await get()).jsonBody).toMatchObject({ photoGroupId: null, photoExcludeGroupId: null });
  const set = await patch(
    JSON.stringify({ photoGroupId: GROUP.toUpperCase(), photoExcludeGroupId: OTHER_GROUP }),
  );
  expect(set.status).toBe(200);
  expect(set.jsonBody).toMatchObject({
    photoGroupId: GROUP,
    photoExcludeGroupId: OTHER_GROUP,
    updatedBy: 'local (no sign-in)',
  });
  expect((await get()).jsonBody).toMatchObject({ photoGroupId: GROUP, photoExcludeGroupId: OTHER_GROUP });
  expect((await patch('{"photoGroupId":null}')).jsonBody).toMatchObject({
    photoGroupId: null,
    photoExcludeGroupId: OTHER_GROUP,
  });
});

test.each([
  ['not a GUID', '{"photoGroupId":"sales"}'],
  ['a number', '{"photoExcludeGroupId":42}'],
  ['a GUID with braces', `{"photoGroupId":"{${GROUP}}"}`],
  ['an array of groups', `{"photoGroupId":["${GROUP}"]}`],
])('a scope group that is %s → 400 and nothing changes', async (_name, body) => {
  const before = await get();
  const response = await patch(body);
  expect(response.status).toBe(400);
  expect((response.jsonBody as { error: { code: string } }).error.code).toBe('invalidSettings');
  expect((await get()).jsonBody).toEqual(before.jsonBody);
});

test('history: each change with old → new, when and by whom, newest first, paged', async () => {
  const principal = Buffer.from(
    JSON.stringify({
      claims: [
        { typ: 'name', val: 'Grace' },
        { typ: 'roles', val: 'PhotoSync.Admin' },
      ],
    }),
  ).toString('base64');
  await patch('{"userPhotos":true}');
  await withSignIn(() =>
    patch(JSON.stringify({ photoGroupId: GROUP, syncUserPhotos: true }), {
      'x-ms-client-principal': principal,
    }),
  );
  await patch(JSON.stringify({ photoGroupId: GROUP })); // no change, no record

  const response = await history('?top=2');
  expect(response.status).toBe(200);
  const body = response.jsonBody as HistoryBody;
  expect(body.changes).toHaveLength(2);
  expect(body.changes[0]).toEqual({
    at: expect.any(String),
    by: 'Grace',
    changes: { syncUserPhotos: { from: false, to: true }, photoGroupId: { from: null, to: GROUP } },
  });
  expect(body.changes[1]).toMatchObject({
    by: 'local (no sign-in)',
    changes: { userPhotos: { from: false, to: true } },
  });
  expect(body.changes[0].at >= body.changes[1].at).toBe(true);
  expect(body.next).toEqual(expect.any(String));
  const more = (await history(`?top=2&next=${encodeURIComponent(body.next!)}`)).jsonBody as HistoryBody;
  expect(more.changes.length).toBeGreaterThan(0);
  expect(more.changes[0].at <= body.changes[1].at).toBe(true);
  expect((await history('?top=0')).status).toBe(400);
  expect((await history('?next=%00')).status).toBe(400);
});

test('history is written in the same transaction as the change: a fault on the record leaves neither, none leaves both', async () => {
  const table = t.services.storage.tables.settings;
  const newest = async () => ((await history('?top=1')).jsonBody as HistoryBody).changes[0];
  await patch('{"userPhotos":false}');
  const before = await get();
  const newestBefore = await newest();

  // The fault: the history row cannot be written (it already exists when the write arrives).
  const interceptor = new MethodInterceptor();
  let faulted = 0;
  interceptor.intercept(table, 'submitTransaction', (original) => async (actions) => {
    for (const [kind, entity] of actions)
      if (kind === 'create' && String(entity.rowKey).startsWith('history-')) {
        await table.createEntity({ partitionKey: entity.partitionKey, rowKey: entity.rowKey });
        faulted++;
        try {
          return await original(actions);
        } finally {
          await table.deleteEntity(entity.partitionKey, entity.rowKey);
        }
      }
    return original(actions);
  });
  interceptor.intercept(table, 'createEntity', (original) => async (entity, options) => {
    if (String(entity.rowKey).startsWith('history-') && Object.keys(entity).length > 2)
      throw Object.assign(new Error('Simulated: the table service went away'), { statusCode: 503 });
    return original(entity, options);
  });
  try {
    const failed = await patch('{"userPhotos":true}');
    expect(failed.status).toBe(500);
  } finally {
    interceptor.restoreAll();
  }
  expect(faulted).toBe(1);
  expect((await get()).jsonBody).toEqual(before.jsonBody);
  expect(await newest()).toEqual(newestBefore);

  const ok = await patch('{"userPhotos":true}');
  expect(ok.status).toBe(200);
  expect(await newest()).toMatchObject({ changes: { userPhotos: { from: false, to: true } } });
});
