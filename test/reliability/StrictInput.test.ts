import type { HttpResponseInit } from '@azure/functions';
import { JSON_CONTENT, TestEnvironment } from '../helpers/TestEnvironment';
import { OutboundRequests } from '../helpers/OutboundRequests';
import { settingsHandler } from '../../src/functions/settings';
import { settingsHistoryHandler } from '../../src/functions/settingsHistory';
import { syncHandler } from '../../src/functions/sync';
import { photosPurgeHandler } from '../../src/functions/photosPurge';
import { runsHandler } from '../../src/functions/runs';
import { usersHandler } from '../../src/functions/users';
import { userPhotoHandler } from '../../src/functions/userPhoto';
import { userPhotoLogHandler } from '../../src/functions/userPhotoLog';
import { photoChangesHandler } from '../../src/functions/photoChanges';
import { newRunId, type Run } from '../../src/domain/Run';

/**
 * An API that refuses what it cannot mean (docs/reliability.md, "Bad input"): a settings change
 * without If-Match never fails for a concurrent one; the photo log reads newest first by when each
 * event happened; query parameters, content types, body sizes and user ids are strict; runs page;
 * a photo answers HEAD. Real Azurite and the Graph simulator, through the exported handlers.
 */

type Handler = typeof settingsHandler;
let t: TestEnvironment;
const requests = new OutboundRequests();

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 4 });
  await t.setSettings(true, true);
  await t.runSync();
});

afterAll(async () => {
  requests.stop();
  await t.stop();
});

const headers = (response: HttpResponseInit): Record<string, string> =>
  (response.headers ?? {}) as Record<string, string>;
const code = (response: HttpResponseInit): string | undefined =>
  (response.jsonBody as { error?: { code: string } } | undefined)?.error?.code;

async function settingsSnapshot(): Promise<{ body: unknown; etag: string }> {
  const response = await t.http(settingsHandler, { method: 'GET', path: 'settings' });
  return { body: response.jsonBody, etag: headers(response).ETag };
}

const patchSettings = (body: string, requestHeaders: Record<string, string> = JSON_CONTENT) =>
  t.http(settingsHandler, { method: 'PATCH', path: 'settings', body, headers: requestHeaders });

interface HistoryEntry {
  at: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

describe('PATCH /api/settings without If-Match', () => {
  test('20 at once: all 200, each applied to the settings as they were, and history tells the same story', async () => {
    const historyBefore = await t.services.settings.history({ top: 100 });
    const groups = Array.from(
      { length: 20 },
      (_, i) => `0b1d2c3e-4f50-4a6b-8c7d-${String(i).padStart(12, '0')}`,
    );
    const answers = await Promise.all(
      groups.map((group) => patchSettings(JSON.stringify({ photoGroupId: group }))),
    );

    expect(answers.map((answer) => answer.status)).toEqual(groups.map(() => 200));
    expect(answers.map((answer) => (answer.jsonBody as { photoGroupId: string }).photoGroupId)).toEqual(
      groups,
    );
    const history = await t.services.settings.history({ top: 100 });
    const added = history.changes.slice(0, history.changes.length - historyBefore.changes.length);
    expect(added).toHaveLength(20);
    // One chain: each change starts from the value the one before it left, ending at what is stored.
    const changes = (added as HistoryEntry[]).map((entry) => entry.changes.photoGroupId);
    const final = ((await settingsSnapshot()).body as { photoGroupId: string }).photoGroupId;
    const tos = changes.map((change) => change.to);
    expect([...tos].sort()).toEqual([...groups].sort());
    expect(changes.map((change) => change.from).sort()).toEqual(
      [null, ...tos.filter((to) => to !== final)].sort(),
    );
    let value: unknown = null;
    for (let step = 0; step < 20; step++) {
      const change = changes.find((candidate) => candidate.from === value);
      expect(change).toBeDefined();
      value = change!.to;
    }
    expect(value).toBe(final);
    // The last writer's answer carries the ETag the settings have now: a next If-Match can use it.
    const last = answers.find(
      (answer) => (answer.jsonBody as { photoGroupId: string }).photoGroupId === final,
    );
    expect(headers(last!).ETag).toBe((await settingsSnapshot()).etag);
    await patchSettings('{"photoGroupId":null}');
  });

  test('an explicit If-Match that no longer matches is still 412', async () => {
    const { etag } = await settingsSnapshot();
    await patchSettings('{"photoExcludeGroupId":"1c2d3e4f-5061-4b7c-9d8e-af0b1c2d3e4f"}');
    const stale = await patchSettings('{"photoExcludeGroupId":null}', { ...JSON_CONTENT, 'If-Match': etag });
    expect([stale.status, code(stale)]).toEqual([412, 'preconditionFailed']);
    await patchSettings('{"photoExcludeGroupId":null}');
  });
});

test('the photo log is newest first by at, not by when each run started', async () => {
  const [userId] = t.tenant.users().map((user) => user.id);
  const base = Date.parse('2026-11-30T08:00:00.000Z');
  // Runs overlap: the run that started first logged its event last (a job delivered again).
  const earlierRun = newRunId(new Date(base));
  const laterRun = newRunId(new Date(base + 1_000));
  for (const [runId, at] of [
    [laterRun, base + 2_000],
    [earlierRun, base + 3_000],
  ] as const)
    await t.services.events.append(userId, {
      at: new Date(at).toISOString(),
      runId,
      result: 'unchanged',
      reason: null,
      error: null,
    });

  const response = await t.http(userPhotoLogHandler, {
    method: 'GET',
    path: `users/${userId}/photo/log`,
    params: { userId },
  });
  const events = (response.jsonBody as { events: Array<{ at: string; runId: string }> }).events;
  const times = events.map((event) => Date.parse(event.at));
  expect(times).toEqual([...times].sort((a, b) => b - a));
  expect(
    events.map((event) => event.runId).filter((runId) => runId === earlierRun || runId === laterRun),
  ).toEqual([earlierRun, laterRun]);
});

describe('strict query parameters → 400, nothing read', () => {
  const pagedRoutes: Array<[string, Handler, string]> = [
    ['GET /api/users', usersHandler, 'users'],
    ['GET /api/runs', runsHandler, 'runs'],
    ['GET /api/settings/history', settingsHistoryHandler, 'settings/history'],
    ['GET /api/photos/changes', photoChangesHandler, 'photos/changes'],
  ];
  const looseTops = ['1e2', '0x10', '%205', '5%20', '%2B5', '05', '5.0', '1_0', '５', '5&top=6'];

  test.each(pagedRoutes)(
    '%s: top that is not plain decimal digits → invalidTop',
    async (_route, handler, path) => {
      for (const top of looseTops) {
        requests.clear();
        requests.start();
        const response = await t.http(handler, { method: 'GET', path: `${path}?top=${top}` });
        requests.stop();
        expect([top, response.status, code(response)]).toEqual([top, 400, 'invalidTop']);
        expect([top, requests.requests]).toEqual([top, []]);
      }
    },
  );

  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');
  const foreignNexts: Array<[string, string]> = [
    ['JSON of another shape', b64({ foo: 'bar' })],
    ['a row key without a partition key', b64({ nextRowKey: 'a' })],
    ['a number for a key', b64({ nextPartitionKey: 1 })],
    ['an extra field', b64({ nextPartitionKey: 'a', nextRowKey: 'b', top: 1 })],
    ['an empty key', b64({ nextPartitionKey: '' })],
    ['JSON that is not an object', b64(['a'])],
    ['base64 that is not JSON', Buffer.from('hello world').toString('base64')],
    ['a search cursor', Buffer.from(JSON.stringify({ s: 'ada', k: 'x' })).toString('base64url')],
    ['twice', `${b64({ nextPartitionKey: 'a' })}&next=${b64({ nextPartitionKey: 'a' })}`],
  ];

  test.each(pagedRoutes.slice(0, 3))(
    '%s: a well-formed next the API did not hand out → invalidNext',
    async (_route, handler, path) => {
      for (const [what, next] of foreignNexts) {
        const response = await t.http(handler, {
          method: 'GET',
          path: `${path}?next=${what === 'twice' ? next : encodeURIComponent(next)}`,
        });
        expect([what, response.status, code(response)]).toEqual([what, 400, 'invalidNext']);
      }
    },
  );

  test('a next the API handed out, re-encoded (no padding), is not the token → invalidNext', async () => {
    const first = await t.http(usersHandler, { method: 'GET', path: 'users?top=1' });
    const next = (first.jsonBody as { next: string }).next;
    expect(next).toEqual(expect.any(String));
    expect(
      (await t.http(usersHandler, { method: 'GET', path: `users?top=1&next=${encodeURIComponent(next)}` }))
        .status,
    ).toBe(200);
    const unpadded = next.replace(/=+$/, '');
    if (unpadded !== next) {
      const response = await t.http(usersHandler, {
        method: 'GET',
        path: `users?next=${encodeURIComponent(unpadded)}`,
      });
      expect([response.status, code(response)]).toEqual([400, 'invalidNext']);
    }
  });
});

describe('a change not declared JSON → 415, too large → 413; nothing changes', () => {
  const changes: Array<[string, Handler, string, string, string]> = [
    ['PATCH /api/settings', settingsHandler, 'PATCH', 'settings', '{"syncUserPhotos":false}'],
    ['POST /api/sync', syncHandler, 'POST', 'sync', ''],
    ['POST /api/sync with a body', syncHandler, 'POST', 'sync', '{}'],
    ['POST /api/photos/purge', photosPurgeHandler, 'POST', 'photos/purge', '{"confirm":true}'],
  ];
  const notJson: Array<[string, Record<string, string>]> = [
    ['no Content-Type', {}],
    ['text/plain', { 'Content-Type': 'text/plain' }],
    ['a form', { 'Content-Type': 'application/x-www-form-urlencoded' }],
    ['multipart', { 'Content-Type': 'multipart/form-data; boundary=x' }],
    ['a look-alike', { 'Content-Type': 'application/jsonp' }],
    ['text/json', { 'Content-Type': 'text/json' }],
  ];

  test.each(changes)('%s', async (_route, handler, method, path, body) => {
    const before = await settingsSnapshot();
    const runsBefore = (await t.services.runs.list(100)).length;
    for (const [what, requestHeaders] of notJson) {
      const response = await t.http(handler, {
        method,
        path,
        body: body === '' ? undefined : body,
        headers: requestHeaders,
      });
      expect([what, response.status, code(response)]).toEqual([what, 415, 'unsupportedMediaType']);
    }
    const tooLarge = await t.http(handler, {
      method,
      path,
      body: `{"pad":"${'x'.repeat(16 * 1024)}"}`,
      headers: JSON_CONTENT,
    });
    expect([tooLarge.status, code(tooLarge)]).toEqual([413, 'payloadTooLarge']);
    expect(await settingsSnapshot()).toEqual(before);
    expect((await t.services.runs.list(100)).length).toBe(runsBefore);
  });

  test('application/json with parameters, in any case, is JSON', async () => {
    const response = await patchSettings('{"syncUserPhotos":true}', {
      'Content-Type': 'Application/JSON ; charset=utf-8',
    });
    expect(response.status).toBe(200);
  });
});

describe('GET /api/runs pages', () => {
  beforeAll(async () => {
    await t.setSettings(false, false);
    while ((await t.services.runs.list(100)).length < 26) await t.runSync();
  });

  async function allPages(top?: number): Promise<{ pages: Run[][]; sizes: number[] }> {
    const pages: Run[][] = [];
    let next: string | null = null;
    do {
      const query = [
        top === undefined ? '' : `top=${top}`,
        next === null ? '' : `next=${encodeURIComponent(next)}`,
      ]
        .filter(Boolean)
        .join('&');
      const response = await t.http(runsHandler, { method: 'GET', path: `runs${query ? `?${query}` : ''}` });
      expect(response.status).toBe(200);
      const body = response.jsonBody as { runs: Run[]; next: string | null };
      pages.push(body.runs);
      next = body.next;
    } while (next !== null && pages.length < 50);
    return { pages, sizes: pages.map((page) => page.length) };
  }

  test('20 a page by default, then next to the end: every run once, newest first', async () => {
    const total = (await t.services.runs.list(100)).length;
    const { pages, sizes } = await allPages();
    expect(sizes[0]).toBe(20);
    const runs = pages.flat();
    expect(runs).toHaveLength(total);
    expect(new Set(runs.map((run) => run.runId)).size).toBe(total);
    const starts = runs.map((run) => run.startedAt);
    expect(starts).toEqual([...starts].sort().reverse());
  });

  test('?top=7 pages by 7; top is 1 to 100', async () => {
    const total = (await t.services.runs.list(100)).length;
    const { pages, sizes } = await allPages(7);
    expect(sizes.slice(0, -1).every((size) => size === 7)).toBe(true);
    expect(new Set(pages.flat().map((run) => run.runId)).size).toBe(total);
    expect(
      ((await t.http(runsHandler, { method: 'GET', path: 'runs?top=100' })).jsonBody as { runs: Run[] }).runs,
    ).toHaveLength(total);
    for (const top of ['0', '101'])
      expect(code(await t.http(runsHandler, { method: 'GET', path: `runs?top=${top}` }))).toBe('invalidTop');
  });
});

describe('HEAD /api/users/{userId}/photo', () => {
  const call = (method: string, userId: string, requestHeaders: Record<string, string> = {}) =>
    t.http(userPhotoHandler, {
      method,
      path: `users/${userId}/photo`,
      params: { userId },
      headers: requestHeaders,
    });

  test('the headers of GET (Content-Type, ETag, Content-Length), no body; 304 on If-None-Match', async () => {
    const userId = t.tenant.users().find((user) => t.tenant.photoOf(user.id) !== null)!.id;
    const get = await call('GET', userId);
    const head = await call('HEAD', userId);
    expect(head.status).toBe(200);
    expect(head.body).toBeUndefined();
    for (const name of ['Content-Type', 'ETag', 'Content-Length', 'Cache-Control'])
      expect([name, headers(head)[name]]).toEqual([name, headers(get)[name]]);
    expect(Number(headers(head)['Content-Length'])).toBe((get.body as Buffer).length);
    const notModified = await call('HEAD', userId, { 'If-None-Match': headers(get).ETag });
    expect([notModified.status, notModified.body]).toEqual([304, undefined]);
    const sized = await t.http(userPhotoHandler, {
      method: 'HEAD',
      path: `users/${userId}/photo?size=48`,
      params: { userId },
    });
    expect([sized.status, headers(sized)['Content-Type'], sized.body]).toEqual([
      200,
      'image/jpeg',
      undefined,
    ]);
    expect(Number(headers(sized)['Content-Length'])).toBeGreaterThan(0);
  });
});

describe('user ids that read as something they are not → 400 before Graph or storage', () => {
  const deceptive: Array<[string, string]> = [
    ['a right-to-left override', 'ada\u202E@contoso.example'],
    ['a left-to-right embedding', '\u202Aada@contoso.example'],
    ['a first-strong isolate', 'ada\u2068@contoso.example'],
    ['a pop directional isolate', 'ada@contoso\u2069.example'],
    ['a zero-width space', 'ada\u200B@contoso.example'],
    ['a zero-width joiner', 'ada\u200D@contoso.example'],
    ['a byte order mark', '\uFEFFada@contoso.example'],
    ['a soft hyphen', 'a\u00ADda@contoso.example'],
    ['an emoji', 'ada\u{1F600}@contoso.example'],
    ['a pictograph', 'ada\u2764@contoso.example'],
    ['a flag', 'ada\u{1F1E9}\u{1F1EA}@contoso.example'],
  ];

  test.each([
    ['GET /api/users/{userId}', usersHandler, ''],
    ['GET /api/users/{userId}/photo', userPhotoHandler, '/photo'],
    ['HEAD /api/users/{userId}/photo', userPhotoHandler, '/photo'],
    ['GET /api/users/{userId}/photo/log', userPhotoLogHandler, '/photo/log'],
  ] as Array<[string, Handler, string]>)('%s', async (route, handler, suffix) => {
    for (const [what, userId] of deceptive) {
      requests.clear();
      requests.start();
      t.sim.resetCounters();
      const response = await t.http(handler, {
        method: route.split(' ')[0],
        path: `users/${encodeURIComponent(userId)}${suffix}`,
        params: { userId },
      });
      requests.stop();
      expect([what, response.status, code(response)]).toEqual([what, 400, 'invalidUserId']);
      expect([what, requests.requests]).toEqual([what, []]);
      expect(t.sim.counters.requests).toBe(0);
    }
  });

  test("guests' #EXT# and apostrophes stay legal: an unknown one is 404, not 400", async () => {
    const userId = "o'neil_fabrikam.com#EXT#@contoso.example";
    const response = await t.http(usersHandler, {
      method: 'GET',
      path: `users/${encodeURIComponent(userId)}`,
      params: { userId },
    });
    expect([response.status, code(response)]).toEqual([404, 'userNotFound']);
  });
});
