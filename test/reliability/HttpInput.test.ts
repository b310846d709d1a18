import type { HttpResponseInit } from '@azure/functions';
import { JSON_CONTENT, TestEnvironment } from '../helpers/TestEnvironment';
import { OutboundRequests } from '../helpers/OutboundRequests';
import { settingsHandler } from '../../src/functions/settings';
import { syncHandler } from '../../src/functions/sync';
import { runsHandler } from '../../src/functions/runs';
import { usersHandler } from '../../src/functions/users';
import { userPhotoHandler } from '../../src/functions/userPhoto';
import { userPhotoLogHandler } from '../../src/functions/userPhotoLog';
import { healthHandler } from '../../src/functions/health';
import { useServices, type AppServices } from '../../src/app/AppServices';

/**
 * Bad HTTP input: wrong methods, bodies that are not the settings, ids that are neither object ids
 * nor user principal names. Every answer is a 4xx with the API's
 * error JSON and no stack trace; nothing changes; a refused id reaches neither Graph nor storage.
 */

type Handler = typeof settingsHandler;
let t: TestEnvironment;
const requests = new OutboundRequests();
/** Every error answer of this file, checked for its shape at the end. */
const errorAnswers: Array<{ what: string; response: HttpResponseInit }> = [];

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 3 });
  await t.setSettings(true, false);
  await t.runSync();
  requests.start();
});

afterAll(async () => {
  requests.stop();
  await t.stop();
});

async function call(
  handler: Handler,
  init: Parameters<TestEnvironment['http']>[1],
): Promise<HttpResponseInit> {
  const response = await t.http(handler, init);
  if (response.status !== undefined && response.status >= 400)
    errorAnswers.push({ what: `${init.method} ${init.path}`, response });
  return response;
}

function header(response: HttpResponseInit, name: string): string | undefined {
  return (response.headers as Record<string, string> | undefined)?.[name];
}

async function settingsSnapshot(): Promise<{ body: unknown; etag: string | undefined }> {
  const response = await t.http(settingsHandler, { method: 'GET', path: 'settings' });
  return { body: response.jsonBody, etag: header(response, 'ETag') };
}

describe('wrong methods → 405 with Allow', () => {
  const userId = '00000000-0000-4000-8000-000000000001';
  test.each([
    ['settings', settingsHandler, 'settings', {}, ['DELETE', 'POST', 'PUT'], 'GET, PATCH'],
    ['sync', syncHandler, 'sync', {}, ['GET', 'PATCH', 'DELETE'], 'POST'],
    ['runs', runsHandler, 'runs', {}, ['POST', 'DELETE'], 'GET'],
    ['users', usersHandler, 'users', {}, ['POST', 'PATCH', 'DELETE'], 'GET'],
    [
      'user photo',
      userPhotoHandler,
      `users/${userId}/photo`,
      { userId },
      ['PUT', 'POST', 'DELETE'],
      'GET, HEAD',
    ],
    [
      'user photo log',
      userPhotoLogHandler,
      `users/${userId}/photo/log`,
      { userId },
      ['POST', 'DELETE'],
      'GET',
    ],
    ['health', healthHandler, 'health', {}, ['POST', 'DELETE'], 'GET'],
  ] as Array<[string, Handler, string, Record<string, string>, string[], string]>)(
    '%s',
    async (_name, handler, path, params, methods, allow) => {
      const before = await settingsSnapshot();
      const runsBefore = (await t.services.runs.list(50)).length;
      for (const method of methods) {
        const response = await call(handler, {
          method,
          path,
          params,
          body:
            method === 'GET' || method === 'DELETE'
              ? undefined
              : '{"userPhotos":false,"syncUserPhotos":true}',
        });
        expect([
          method,
          response.status,
          (response.jsonBody as { error: { code: string } }).error.code,
        ]).toEqual([method, 405, 'methodNotAllowed']);
        expect(header(response, 'Allow')).toBe(allow);
      }
      expect(await settingsSnapshot()).toEqual(before);
      expect((await t.services.runs.list(50)).length).toBe(runsBefore);
    },
  );
});

describe('PATCH /api/settings with a body that is not the settings → 400 (413 when too large), nothing changes', () => {
  const pad = (json: string, size: number): string => json + ' '.repeat(size - Buffer.byteLength(json));
  test.each([
    ['empty body', '', 'invalidJson'],
    ['bad JSON', '{"userPhotos": tru', 'invalidJson'],
    ['trailing garbage', '{"userPhotos":true} x', 'invalidJson'],
    ['not UTF-8 JSON', '\u00ff\u00fe{', 'invalidJson'],
    ['a string', '"userPhotos"', 'invalidSettings'],
    ['null', 'null', 'invalidSettings'],
    ['an array', '[{"userPhotos":true}]', 'invalidSettings'],
    ['a number for a flag', '{"userPhotos":1}', 'invalidSettings'],
    ['a string for a flag', '{"syncUserPhotos":"true"}', 'invalidSettings'],
    ['null for a flag', '{"userPhotos":null}', 'invalidSettings'],
    ['an object for a flag', '{"userPhotos":{"value":true}}', 'invalidSettings'],
    ['an unknown key beside a valid one', '{"userPhotos":false,"isAdmin":true}', 'invalidSettings'],
    ['the pre-rename key', '{"userPicture":true}', 'invalidSettings'],
    ['__proto__', '{"__proto__":{"userPhotos":false},"syncUserPhotos":false}', 'invalidSettings'],
    ['constructor', '{"constructor":{"prototype":{"userPhotos":false}}}', 'invalidSettings'],
    ['no key', '{}', 'invalidSettings'],
    ['one byte over 16 KiB', pad('{"userPhotos":false}', 16 * 1024 + 1), 'payloadTooLarge'],
    ['a megabyte', JSON.stringify({ userPhotos: false, pad: 'x'.repeat(1024 * 1024) }), 'payloadTooLarge'],
  ])('%s', async (_name, body, code) => {
    const before = await settingsSnapshot();
    const changesBefore = t.logEvents('settingsChanged').length;
    const response = await call(settingsHandler, {
      method: 'PATCH',
      path: 'settings',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(code === 'payloadTooLarge' ? 413 : 400);
    expect(response.jsonBody).toEqual({ error: { code, message: expect.any(String) } });
    expect(await settingsSnapshot()).toEqual(before);
    expect(t.logEvents('settingsChanged').length).toBe(changesBefore);
  });

  test('a declared Content-Length over 16 KiB is refused before the body is read', async () => {
    const before = await settingsSnapshot();
    const response = await call(settingsHandler, {
      method: 'PATCH',
      path: 'settings',
      body: '{"userPhotos":false}',
      headers: { ...JSON_CONTENT, 'content-length': String(64 * 1024) },
    });
    expect(response.status).toBe(413);
    expect((response.jsonBody as { error: { code: string } }).error.code).toBe('payloadTooLarge');
    expect(await settingsSnapshot()).toEqual(before);
  });

  test('exactly 16 KiB is accepted: the limit is the documented one, not lower', async () => {
    const response = await call(settingsHandler, {
      method: 'PATCH',
      path: 'settings',
      body: pad('{"syncUserPhotos":true}', 16 * 1024),
      headers: JSON_CONTENT,
    });
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({ userPhotos: true, syncUserPhotos: true });
    await call(settingsHandler, {
      method: 'PATCH',
      path: 'settings',
      body: '{"syncUserPhotos":false}',
      headers: JSON_CONTENT,
    });
  });
});

describe('malformed ids → 400 before any storage or Graph request', () => {
  const badUserIds: Array<[string, string]> = [
    ['path traversal', '../../etc/passwd'],
    ['a dot-dot segment', '..'],
    ['an encoded traversal', '..%2F..%2Fuser-photos'],
    ['OData injection', "x' or PartitionKey ne '"],
    ['whitespace', 'ada lovelace@contoso.example'],
    ['a slash', 'a/b@contoso.example'],
    ['a backslash', 'a\\b@contoso.example'],
    ['a question mark', 'a?b@contoso.example'],
    ['a NUL', 'ada\u0000@contoso.example'],
    ['a C1 control character', 'ada\u0085@contoso.example'],
    ['two @', 'a@b@contoso.example'],
    ['no @ and no GUID', 'ada'],
    ['a GUID with a trailing newline', '00000000-0000-4000-8000-000000000001\n'],
    ['257 characters', `${'a'.repeat(245)}@contoso.com`],
  ];

  test.each([
    ['GET /api/users/{userId}', usersHandler, ''],
    ['GET /api/users/{userId}/photo', userPhotoHandler, '/photo'],
    ['GET /api/users/{userId}/photo/log', userPhotoLogHandler, '/photo/log'],
  ] as Array<[string, Handler, string]>)('%s', async (_name, handler, suffix) => {
    for (const [what, userId] of badUserIds) {
      requests.clear();
      t.sim.resetCounters();
      const response = await call(handler, {
        method: 'GET',
        path: `users/${encodeURIComponent(userId)}${suffix}`,
        params: { userId },
      });
      expect([what, response.status, (response.jsonBody as { error: { code: string } }).error.code]).toEqual([
        what,
        400,
        'invalidUserId',
      ]);
      expect([what, requests.requests]).toEqual([what, []]);
      expect(t.sim.counters.requests).toBe(0);
    }
  });

  test('GET /api/runs/{runId}', async () => {
    for (const runId of [
      "x' or PartitionKey ne '",
      '../runs',
      '20261126T200412Z-ABCDEF',
      '20261126T200412Z-abcdef/extra',
      'run',
    ]) {
      requests.clear();
      const response = await call(runsHandler, {
        method: 'GET',
        path: `runs/${encodeURIComponent(runId)}`,
        params: { runId },
      });
      expect([runId, response.status, (response.jsonBody as { error: { code: string } }).error.code]).toEqual(
        [runId, 400, 'invalidRunId'],
      );
      expect([runId, requests.requests]).toEqual([runId, []]);
    }
  });

  test.each([
    ['top=0', 'invalidTop'],
    ['top=501', 'invalidTop'],
    ['top=1.5', 'invalidTop'],
    ['top=abc', 'invalidTop'],
    ['top=-1', 'invalidTop'],
    ['next=not%20a%20token', 'invalidNext'],
    ["next=x'%20or%20''='", 'invalidNext'],
    ['result=bogus', 'invalidResult'],
    ["result=failed'%20or%20''='", 'invalidResult'],
  ])('GET /api/users?%s → 400', async (query, code) => {
    requests.clear();
    const response = await call(usersHandler, { method: 'GET', path: `users?${query}` });
    expect(response.status).toBe(400);
    expect((response.jsonBody as { error: { code: string } }).error.code).toBe(code);
    expect(requests.requests).toEqual([]);
  });
});

describe('legal ids are escaped where they are used', () => {
  const guestId = '0a0a0a0a-0000-4000-8000-00000000000a';
  const guestUpn = "o'brien_fabrikam.com#EXT#@contoso.example";

  beforeAll(async () => {
    await t.services.identities.upsertCoreAttributes(
      [
        {
          id: guestId,
          displayName: "Tess O'Brien",
          givenName: 'Tess',
          surname: "O'Brien",
          mail: null,
          userPrincipalName: guestUpn,
          accountEnabled: true,
        },
      ],
      new Date(),
    );
  });

  test("a guest's UPN with an apostrophe and #EXT# finds that user, with the quote doubled in the table filter", async () => {
    requests.clear();
    const response = await call(usersHandler, {
      method: 'GET',
      path: `users/${encodeURIComponent(guestUpn)}`,
      params: { userId: guestUpn },
    });
    expect(response.status).toBe(200);
    expect(response.jsonBody).toMatchObject({ id: guestId, userPrincipalName: guestUpn });
    const filters = requests.requests
      .filter((request) => request.path.includes('PhotoSyncUsers'))
      .map((request) => decodeURIComponent(request.path));
    expect(
      filters.some((path) =>
        path.includes("userPrincipalName eq 'o''brien_fabrikam.com#EXT#@contoso.example'"),
      ),
    ).toBe(true);
  });

  test.each([["x'or'1'eq'1@contoso.example"], ["x'or''eq'@contoso.example"], ["')or(PartitionKey@ne'"]])(
    'the legal-looking injection %s is only a name that no user has → 404',
    async (userId) => {
      for (const [handler, suffix] of [
        [usersHandler, ''],
        [userPhotoHandler, '/photo'],
        [userPhotoLogHandler, '/photo/log'],
      ] as Array<[Handler, string]>) {
        const response = await call(handler, {
          method: 'GET',
          path: `users/${encodeURIComponent(userId)}${suffix}`,
          params: { userId },
        });
        expect([
          suffix,
          response.status,
          (response.jsonBody as { error: { code: string } }).error.code,
        ]).toEqual([suffix, 404, 'userNotFound']);
      }
    },
  );
});

test('an unexpected failure → 500 with the error JSON, details only in the log', async () => {
  const broken = {
    ...t.services,
    identities: {
      find: async () => Promise.reject(new Error('boom: table client exploded at IdentityStore.ts:42')),
    },
  } as unknown as AppServices;
  useServices(Promise.resolve(broken));
  try {
    const response = await call(usersHandler, {
      method: 'GET',
      path: 'users/00000000-0000-4000-8000-000000000001',
      params: { userId: '00000000-0000-4000-8000-000000000001' },
    });
    expect(response.status).toBe(500);
    expect(response.jsonBody).toEqual({ error: { code: 'internalError', message: expect.any(String) } });
    expect(JSON.stringify(response.jsonBody)).not.toMatch(/boom|IdentityStore/);
    expect(t.logEvents('httpError').at(-1)?.reason).toMatch(/boom/);
  } finally {
    useServices(Promise.resolve(t.services));
  }
});

// Last in the file, so it sees every refusal above.
test("every refusal of this file had the API's error JSON and no stack trace", () => {
  expect(errorAnswers.length).toBeGreaterThan(50);
  for (const { what, response } of errorAnswers) {
    const body = response.jsonBody as { error?: { code?: unknown; message?: unknown } };
    expect([what, Object.keys(body ?? {})]).toEqual([what, ['error']]);
    expect([what, Object.keys(body.error ?? {}).sort()]).toEqual([what, ['code', 'message']]);
    expect([what, typeof body.error?.code, typeof body.error?.message]).toEqual([what, 'string', 'string']);
    expect([what, JSON.stringify(body)]).not.toEqual([
      what,
      expect.stringMatching(/\bat [\w.<>]+ \(|\.(ts|js):\d+|node_modules|Error: /),
    ]);
  }
});
