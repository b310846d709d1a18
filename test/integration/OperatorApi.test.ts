import type { ChildProcess } from 'node:child_process';
import type { HttpResponseInit } from '@azure/functions';
import { sha256 } from '../helpers/Invariants';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { type healthHandler } from '../../src/functions/health';
import { runsHandler } from '../../src/functions/runs';
import { userPhotoHandler } from '../../src/functions/userPhoto';
import { userPhotoLogHandler } from '../../src/functions/userPhotoLog';
import { usersHandler } from '../../src/functions/users';
import { newRunId, type Run } from '../../src/domain/Run';
import type { SimulatedUser } from '../../dev/simulator/SimulatedTenant';
import type { UserEntity } from '../../src/storage/IdentityStore';

/**
 * The operator's read side of the API (docs/design.md, "HTTP API"), through the exported handlers
 * against real Azurite and the Graph simulator: runs, users and their photos, photo logs, health,
 * and the refusal of malformed ids before they reach anything.
 */

const USERS = 45;
let t: TestEnvironment;
/** Runs in the order they were started: photo sync off, on, with one failure, with one change. */
const runs: Run[] = [];

const tenantUsers = (): SimulatedUser[] => t.tenant.users();
const withPhoto = (): SimulatedUser[] => tenantUsers().filter((user) => t.tenant.photoOf(user.id) !== null);
const withoutPhoto = (): SimulatedUser[] =>
  tenantUsers().filter((user) => t.tenant.photoOf(user.id) === null);
const headers = (response: HttpResponseInit): Record<string, string> =>
  (response.headers ?? {}) as Record<string, string>;

interface UserBody {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  accountEnabled: boolean | null;
  photo: {
    status: string;
    sha256: string | null;
    contentType: string | null;
    bytes: number | null;
    lastResult: string | null;
    lastError: { code: string; message: string } | null;
  };
}

const getRuns = (runId?: string) =>
  t.http(runsHandler, {
    method: 'GET',
    path: runId === undefined ? 'runs' : `runs/${encodeURIComponent(runId)}`,
    params: runId === undefined ? {} : { runId },
  });
const getUsers = (query = '') => t.http(usersHandler, { method: 'GET', path: `users${query}` });
const getUser = (userId: string) =>
  t.http(usersHandler, { method: 'GET', path: `users/${encodeURIComponent(userId)}`, params: { userId } });
const getPhoto = (userId: string, requestHeaders: Record<string, string> = {}) =>
  t.http(userPhotoHandler, {
    method: 'GET',
    path: `users/${encodeURIComponent(userId)}/photo`,
    params: { userId },
    headers: requestHeaders,
  });
const getPhotoLog = (userId: string) =>
  t.http(userPhotoLogHandler, {
    method: 'GET',
    path: `users/${encodeURIComponent(userId)}/photo/log`,
    params: { userId },
  });

function expectError(response: HttpResponseInit, status: number, code: string): void {
  expect({ status: response.status, body: response.jsonBody }).toEqual({
    status,
    body: { error: { code, message: expect.any(String) } },
  });
  expect(JSON.stringify(response.jsonBody)).not.toMatch(/at .*\.(ts|js):\d+/);
}

/**
 * The health function as a newly started instance has it: each instance caches its Graph check for
 * a minute.
 */
function freshHealthHandler(): typeof healthHandler {
  let handler: typeof healthHandler | undefined;
  jest.isolateModules(() => {
    (require('../../src/app/AppServices') as typeof import('../../src/app/AppServices')).useServices(
      Promise.resolve(t.services),
    );
    handler = (require('../../src/functions/health') as typeof import('../../src/functions/health'))
      .healthHandler;
  });
  return handler!;
}

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: USERS });
  runs.push(await t.runSync());
});

afterAll(async () => {
  await t.stop();
});

describe('before any photo was checked', () => {
  test('users are listed with their core attributes and photo.status unknown', async () => {
    const response = await getUsers('?top=500');
    expect(response.status).toBe(200);
    const users = (response.jsonBody as { users: UserBody[] }).users;
    expect(users).toHaveLength(USERS);
    const first = tenantUsers()[0];
    expect(users.find((user) => user.id === first.id)).toEqual({
      id: first.id,
      displayName: first.displayName,
      givenName: first.givenName,
      surname: first.surname,
      mail: first.mail,
      userPrincipalName: first.userPrincipalName,
      accountEnabled: first.accountEnabled,
      inDirectory: true,
      departedAt: null,
      photo: {
        status: 'unknown',
        sha256: null,
        contentType: null,
        bytes: null,
        lastResult: null,
        lastCheckedAt: null,
        lastChangedAt: null,
        lastError: null,
      },
    });
  });
});

describe('runs', () => {
  beforeAll(async () => {
    await t.setSettings(true, true);
    runs.push(await t.runSync());
  });

  test('GET /api/runs lists them newest first', async () => {
    const response = await getRuns();
    expect(response.status).toBe(200);
    const listed = (response.jsonBody as { runs: Run[] }).runs;
    expect(listed.map((run) => run.runId)).toEqual([...runs].reverse().map((run) => run.runId));
    expect(listed).toEqual([...runs].reverse());
  });

  test('GET /api/runs/{runId} returns the run', async () => {
    const response = await getRuns(runs[1].runId);
    expect(response.status).toBe(200);
    expect(response.jsonBody).toEqual(runs[1]);
    expect(runs[1]).toMatchObject({
      status: 'completed',
      photoSyncActive: true,
      users: USERS,
      photos: { added: withPhoto().length, noPhoto: withoutPhoto().length, failed: 0 },
    });
  });

  test('an unknown run → 404, a malformed run id → 400, both as JSON', async () => {
    expectError(await getRuns(newRunId()), 404, 'runNotFound');
    for (const runId of ['latest', '2026-11-26', "x' or PartitionKey ne '", '../runs', `${runs[0].runId}x`])
      expectError(await getRuns(runId), 400, 'invalidRunId');
  });
});

describe('users', () => {
  let failing: SimulatedUser;

  beforeAll(async () => {
    // One user's photo now fails with 403: a failed result beside a stored photo that stays.
    failing = withPhoto()[0];
    t.sim.faults.permissionDenied = new Set([failing.id]);
    runs.push(await t.runSync());
    t.sim.faults.permissionDenied = false;
  });

  test('pages of ?top= follow ?next= to the end, each user once', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const response = await getUsers(`?top=10${next === null ? '' : `&next=${encodeURIComponent(next)}`}`);
      expect(response.status).toBe(200);
      const page = response.jsonBody as { users: UserBody[]; next: string | null };
      expect(page.users.length).toBeLessThanOrEqual(10);
      seen.push(...page.users.map((user) => user.id));
      next = page.next;
      pages += 1;
    } while (next !== null && pages < 20);
    expect(pages).toBeGreaterThanOrEqual(Math.ceil(USERS / 10));
    expect(seen.sort()).toEqual(
      tenantUsers()
        .map((user) => user.id)
        .sort(),
    );
  });

  test('top is 1 to 500 (default 100); anything else, or a forged next, → 400', async () => {
    expect(((await getUsers()).jsonBody as { users: unknown[] }).users).toHaveLength(USERS);
    expect(((await getUsers('?top=500')).jsonBody as { users: unknown[] }).users).toHaveLength(USERS);
    expect(((await getUsers('?top=1')).jsonBody as { users: unknown[] }).users).toHaveLength(1);
    for (const top of ['0', '501', '-1', '1.5', 'ten', ''])
      expectError(await getUsers(`?top=${top}`), 400, 'invalidTop');
    for (const next of ['not a token!', 'x'.repeat(5000)])
      expectError(await getUsers(`?next=${encodeURIComponent(next)}`), 400, 'invalidNext');
  });

  test('?result=failed lists exactly the users that failed, with the error, their stored photo kept', async () => {
    const response = await getUsers('?result=failed');
    expect(response.status).toBe(200);
    const failed = (response.jsonBody as { users: UserBody[] }).users;
    expect(failed.map((user) => user.id)).toEqual([failing.id]);
    expect(failed[0].photo).toMatchObject({
      status: 'present',
      lastResult: 'failed',
      lastError: { code: 'permissionDenied', message: expect.stringMatching(/admin consent/) },
    });
    expect(failed[0].photo.sha256).toBe(sha256(t.tenant.photoOf(failing.id)!.bytes));
  });

  test('?result=noPhoto lists exactly the users without a photo; an unknown result → 400', async () => {
    const response = await getUsers('?result=noPhoto&top=500');
    const listed = (response.jsonBody as { users: UserBody[] }).users;
    expect(listed.map((user) => user.id).sort()).toEqual(
      withoutPhoto()
        .map((user) => user.id)
        .sort(),
    );
    for (const user of listed)
      expect(user.photo).toMatchObject({ status: 'none', sha256: null, lastResult: 'noPhoto' });
    expectError(await getUsers('?result=missing'), 400, 'invalidResult');
  });

  test('GET /api/users/{userId} by object id, in either case, and by user principal name, in any case', async () => {
    const user = withPhoto()[1];
    const photo = t.tenant.photoOf(user.id)!;
    const byId = await getUser(user.id);
    expect(byId.status).toBe(200);
    const body = byId.jsonBody as UserBody;
    expect(body).toMatchObject({
      id: user.id,
      displayName: user.displayName,
      userPrincipalName: user.userPrincipalName,
      mail: user.mail,
    });
    expect(body.photo).toMatchObject({
      status: 'present',
      contentType: photo.contentType,
      bytes: photo.bytes.length,
      lastResult: 'unchanged',
      lastError: null,
    });
    expect(body.photo.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.photo.sha256).toBe(sha256(photo.bytes));
    for (const key of [user.id.toUpperCase(), user.userPrincipalName, user.userPrincipalName.toUpperCase()]) {
      const response = await getUser(key);
      expect({ key, status: response.status, body: response.jsonBody }).toEqual({ key, status: 200, body });
    }
  });

  test('a record from before the lowercase UPN key is found by its exact UPN, and by any case after the next full listing', async () => {
    const user = tenantUsers()[5];
    const {
      userPrincipalNameKey,
      etag: _etag,
      timestamp: _timestamp,
      ...older
    } = (await t.services.identities.get(user.id)) as UserEntity & { etag: string; timestamp: string };
    expect(userPrincipalNameKey).toBe(user.userPrincipalName.toLowerCase());
    await t.services.storage.tables.users.upsertEntity(older, 'Replace');

    expect(((await getUser(user.userPrincipalName)).jsonBody as UserBody).id).toBe(user.id);
    // A delta round names only users who changed; the first run after an upgrade lists every user.
    t.sim.faults.deltaTokenExpired = true;
    runs.push(await t.runSync().finally(() => (t.sim.faults.deltaTokenExpired = false)));
    expect(((await getUser(user.userPrincipalName.toUpperCase())).jsonBody as UserBody).id).toBe(user.id);
  });

  test('photo.status is none for a user without a photo; an unknown user → 404', async () => {
    const user = withoutPhoto()[0];
    expect(((await getUser(user.id)).jsonBody as UserBody).photo).toMatchObject({
      status: 'none',
      sha256: null,
      contentType: null,
      bytes: null,
      lastResult: 'noPhoto',
    });
    expectError(await getUser('00000000-0000-4000-8000-000000000000'), 404, 'userNotFound');
    expectError(await getUser('nobody@contoso.example'), 404, 'userNotFound');
  });
});

describe('photos and their log', () => {
  test('GET /api/users/{userId}/photo: the stored bytes, Content-Type and ETag "<sha256>"', async () => {
    for (const user of withPhoto().slice(1, 6)) {
      const photo = t.tenant.photoOf(user.id)!;
      for (const key of [user.id, user.userPrincipalName]) {
        const response = await getPhoto(key);
        expect({ key, status: response.status }).toEqual({ key, status: 200 });
        expect(Buffer.from(response.body as Uint8Array).equals(photo.bytes)).toBe(true);
        expect(headers(response)).toMatchObject({
          'Content-Type': photo.contentType,
          ETag: `"${sha256(photo.bytes)}"`,
        });
      }
    }
  });

  test('If-None-Match with the ETag (strong, weak, in a list, or *) → 304 without a body; another ETag → 200', async () => {
    const user = withPhoto()[1];
    const etag = `"${sha256(t.tenant.photoOf(user.id)!.bytes)}"`;
    for (const ifNoneMatch of [etag, `W/${etag}`, `"0000", ${etag}`, '*']) {
      const response = await getPhoto(user.id, { 'If-None-Match': ifNoneMatch });
      expect({
        ifNoneMatch,
        status: response.status,
        etag: headers(response).ETag,
        body: response.body,
      }).toEqual({ ifNoneMatch, status: 304, etag, body: undefined });
    }
    const stale = await getPhoto(user.id, { 'If-None-Match': `"${'0'.repeat(64)}"` });
    expect(stale.status).toBe(200);
  });

  test('no stored photo → 404 JSON; an unknown user → 404 JSON', async () => {
    expectError(await getPhoto(withoutPhoto()[0].id), 404, 'photoNotFound');
    expectError(await getPhoto('00000000-0000-4000-8000-000000000000'), 404, 'userNotFound');
  });

  test("GET /api/users/{userId}/photo/log: that user's events, newest first", async () => {
    const user = withPhoto()[2];
    t.tenant.changePhoto(user.id);
    runs.push(await t.runSync());

    const response = await getPhotoLog(user.userPrincipalName);
    expect(response.status).toBe(200);
    const events = (
      response.jsonBody as { events: Array<{ at: string; runId: string; result: string; error: unknown }> }
    ).events;
    // Which checks in between are logged is the worker's policy; the change and the first photo are.
    expect(events[0]).toMatchObject({ runId: runs.at(-1)!.runId, result: 'updated', error: null });
    expect(events.at(-1)).toMatchObject({ runId: runs[1].runId, result: 'added', error: null });
    const times = events.map((event) => Date.parse(event.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(new Set(times).size).toBe(times.length);
    expectError(await getPhotoLog('nobody@contoso.example'), 404, 'userNotFound');
  });
});

describe('malformed user ids', () => {
  const malformed = [
    '../../etc/passwd',
    'no-at-sign',
    'two words@contoso.example',
    'a/b@contoso.example',
    'a\\b@contoso.example',
    'what?@contoso.example',
    'tab\t@contoso.example',
    `${'a'.repeat(250)}@contoso.example`,
    "x' or PartitionKey ne '",
    '{00000000-0000-0000-0000-000000000000}',
  ];

  test.each([
    ['GET /api/users/{userId}', getUser],
    ['GET /api/users/{userId}/photo', (userId: string) => getPhoto(userId)],
    ['GET /api/users/{userId}/photo/log', getPhotoLog],
  ])('%s → 400 JSON, before Graph or storage sees them', async (_route, call) => {
    t.sim.resetCounters();
    for (const userId of malformed) {
      const response = await call(userId);
      expect({ userId, status: response.status }).toEqual({ userId, status: 400 });
      expectError(response, 400, 'invalidUserId');
    }
    expect(t.sim.counters.requests).toBe(0);
  });

  test("guests' #EXT# names and apostrophes are legal: not found, not refused", async () => {
    for (const userId of ["o'brien@contoso.example", 'ada_fabrikam.com#EXT#@contoso.onmicrosoft.com'])
      expectError(await getUser(userId), 404, 'userNotFound');
  });
});

describe('GET /api/health', () => {
  const secrets = (): string[] => [t.sim.token, 'AccountKey', t.env.AzureWebJobsStorage, 'Bearer'];

  test('healthy: storage and Graph answer', async () => {
    const response = await t.http(freshHealthHandler(), { method: 'GET', path: 'health' });
    expect({ status: response.status, body: response.jsonBody }).toEqual({
      status: 200,
      body: {
        status: 'healthy',
        storage: { reachable: true },
        graph: { reachable: true, problem: null },
        schedule: {
          expression: '0 0 */4 * * *',
          nextRunAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/),
        },
      },
    });
  });

  test('Graph rejecting the token → 503, Graph unreachable, no secret in the body', async () => {
    t.sim.faults.tokenRejected = true;
    try {
      const response = await t.http(freshHealthHandler(), { method: 'GET', path: 'health' });
      expect({ status: response.status, body: response.jsonBody }).toEqual({
        status: 503,
        body: {
          status: 'unhealthy',
          storage: { reachable: true },
          // What the admin fixes: the credential, named without any secret.
          graph: {
            reachable: false,
            problem: { code: 'authenticationFailed', message: expect.stringContaining('credential') },
          },
          schedule: expect.any(Object),
        },
      });
      for (const secret of secrets()) expect(JSON.stringify(response.jsonBody)).not.toContain(secret);
    } finally {
      t.sim.faults.tokenRejected = false;
    }
  });

  test('storage not answering → 503, storage unreachable, no secret in the body', async () => {
    // Paused rather than stopped: a stopped Azurite would leave the storage SDK retrying for seconds
    // after the test; a paused one answers the requests it holds as soon as it resumes.
    const azurite = (t.azurite as unknown as { process: ChildProcess }).process;
    azurite.kill('SIGSTOP');
    let response: HttpResponseInit;
    try {
      response = await t.http(freshHealthHandler(), { method: 'GET', path: 'health' });
    } finally {
      azurite.kill('SIGCONT');
    }
    expect({ status: response.status, body: response.jsonBody }).toEqual({
      status: 503,
      body: {
        status: 'unhealthy',
        storage: { reachable: false },
        graph: { reachable: true, problem: null },
        schedule: expect.any(Object),
      },
    });
    for (const secret of secrets()) expect(JSON.stringify(response.jsonBody)).not.toContain(secret);
    expect((await t.http(freshHealthHandler(), { method: 'GET', path: 'health' })).status).toBe(200);
  }, 20_000);
});
