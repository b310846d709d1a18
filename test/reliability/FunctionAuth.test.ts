import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import {
  FUNCTIONS_FOLDER,
  loadAppFunctions,
  type Binding,
  type Registration,
} from '../helpers/FunctionsCoreStandIn';
import { TestEnvironment } from '../helpers/TestEnvironment';

/**
 * Who may call what, read from the registrations themselves: `@azure/functions` hands each
 * function's binding metadata and handler to the worker's `@azure/functions-core` module, stood in
 * for here, exactly as the Functions runtime receives them. Every HTTP function registered in
 * src/functions is then called through its registered handler with App Service's principal header,
 * in the three places the app can run: locally, in Azure with App Service authentication, and in
 * Azure without it. A new route cannot slip through: each one is checked.
 */

jest.mock(
  '@azure/functions-core',
  () =>
    (
      require('../helpers/FunctionsCoreStandIn') as typeof import('../helpers/FunctionsCoreStandIn')
    ).functionsCoreStandIn(),
  { virtual: true },
);

interface HttpFunction {
  name: string;
  trigger: Binding;
  handler: Registration['handler'];
}

let registrations: Registration[];
let t: TestEnvironment;
let userId: string;
let displayName: string;

beforeAll(async () => {
  registrations = loadAppFunctions();
  t = await TestEnvironment.start({ userCount: 3 });
  await t.setSettings(true, true);
  await t.runSync();
  const withPhoto = Array.from({ length: t.tenant.count }, (_, index) => t.tenant.userAt(index)).find(
    (user) => t.tenant.photoOf(user.id) !== null,
  );
  if (withPhoto === undefined) throw new Error('the simulated tenant has no user with a photo');
  userId = withPhoto.id;
  displayName = withPhoto.displayName;
  // Azurite, the simulator and a whole run: slow when every core is busy.
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

const platform = {
  WEBSITE_INSTANCE_ID: undefined,
  WEBSITE_SITE_NAME: undefined,
  WEBSITE_AUTH_ENABLED: undefined,
};
afterEach(() => {
  for (const key of Object.keys(platform)) delete process.env[key];
});

/** What App Service sets: inside Azure, with or without App Service authentication. */
function runIn(place: 'local' | 'azureWithSignIn' | 'azureWithoutSignIn'): void {
  if (place === 'local') return;
  process.env.WEBSITE_INSTANCE_ID = '4b1e0c5f9a7d';
  if (place === 'azureWithSignIn') process.env.WEBSITE_AUTH_ENABLED = 'True';
}

/** `x-ms-client-principal` as App Service authentication writes it for an Entra ID token. */
function principal(roles: string[], name = 'grace@contoso.example'): string {
  return Buffer.from(
    JSON.stringify({
      auth_typ: 'aad',
      name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
      role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      claims: [
        { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', val: name },
        { typ: 'preferred_username', val: name },
        ...roles.map((val) => ({ typ: 'roles', val })),
      ],
    }),
  ).toString('base64');
}

function httpFunctions(): HttpFunction[] {
  return registrations
    .map(({ metadata, handler }) => ({
      name: metadata.name,
      trigger: Object.values(metadata.bindings).find((binding) => binding.type === 'httpTrigger'),
      handler,
    }))
    .filter((entry): entry is HttpFunction => entry.trigger !== undefined);
}

/** Each HTTP function with each of its methods, on a path that names a real user where it takes one. */
function calls(): Array<{ fn: HttpFunction; method: string; path: string; params: Record<string, string> }> {
  return httpFunctions().flatMap((fn) =>
    (fn.trigger.methods ?? []).map((method) => {
      const params: Record<string, string> = {};
      const path = (fn.trigger.route ?? fn.name)
        .replace('{userId}', () => ((params.userId = userId), userId))
        .replace(/\/\{[A-Za-z]+\?\}$/, '');
      return { fn, method, path, params };
    }),
  );
}

const CHANGES = new Set(['PATCH', 'POST', 'PUT', 'DELETE']);
/** A harmless change where a body is wanted: it sets what is already set. */
const BODIES: Record<string, string> = {
  settings: '{"userPhotos":true}',
  'photos/purge': '{"confirm":true}',
};

/**
 * What a caller who may change gets: the route's own answer. A purge while photo sync is on is
 * refused by the route itself (409), past the sign-in check.
 */
function allowed(call: { method: string; path: string }): number {
  if (call.path === 'photos/purge') return 409;
  return call.method === 'POST' ? 202 : 200;
}

async function invoke(
  call: ReturnType<typeof calls>[number],
  headers: Record<string, string>,
): Promise<HttpResponseInit> {
  const changing = CHANGES.has(call.method);
  const request = new HttpRequest({
    method: call.method,
    url: `https://photo-sync.azurewebsites.net/api/${call.path}`,
    headers: changing ? { 'content-type': 'application/json', ...headers } : headers,
    params: call.params,
    body: changing ? { string: BODIES[call.path] ?? '{}' } : undefined,
  });
  return call.fn.handler(request, t.context(call.fn.name));
}

const text = (response: HttpResponseInit): string =>
  JSON.stringify(response.jsonBody ?? '') + String(response.body ?? '');

test('every file in src/functions registers its functions with the runtime', () => {
  const files = readdirSync(FUNCTIONS_FOLDER).filter((name) => name.endsWith('.ts'));
  expect(registrations.length).toBeGreaterThanOrEqual(files.length);
  expect(httpFunctions().length).toBeGreaterThanOrEqual(7);
});

test('every HTTP route is anonymous to the host and names its methods: the app checks the caller', () => {
  for (const { name, trigger } of httpFunctions()) {
    expect([name, trigger.authLevel]).toEqual([name, 'anonymous']);
    expect([name, (trigger.methods ?? []).length > 0]).toEqual([name, true]);
  }
  const methods = Object.fromEntries(
    httpFunctions().map(({ trigger }) => [trigger.route, [...(trigger.methods ?? [])].sort()]),
  );
  expect(methods).toMatchObject({
    health: ['GET'],
    settings: ['GET', 'PATCH'],
    sync: ['POST'],
    'runs/{runId?}': ['GET'],
    'users/{userId?}': ['GET'],
    'users/{userId}/photo': ['GET', 'HEAD'],
    'users/{userId}/photo/log': ['GET'],
    'photos/changes': ['GET'],
  });
});

test('the route prefix stays /api (host.json does not change it)', () => {
  const host = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  expect(host.extensions?.http?.routePrefix ?? 'api').toBe('api');
});

describe('in Azure with App Service authentication', () => {
  beforeEach(() => runIn('azureWithSignIn'));

  test('an anonymous caller gets 401 from every route but health, and no personal data', async () => {
    for (const call of calls()) {
      const response = await invoke(call, {});
      if (call.path === 'health') continue;
      expect([call.method, call.path, response.status]).toEqual([call.method, call.path, 401]);
      expect(text(response)).not.toContain(displayName);
      expect(text(response)).not.toContain(userId);
    }
  });

  test('a signed-in caller without an app role gets 403 from every data route and changes nothing', async () => {
    const before = await t.services.settings.read();
    const runsBefore = (await t.services.runs.list(50)).length;
    for (const call of calls()) {
      if (call.path === 'health' || call.path.startsWith('admin')) continue;
      const response = await invoke(call, { 'x-ms-client-principal': principal([]) });
      expect([call.method, call.path, response.status]).toEqual([call.method, call.path, 403]);
      expect(response.jsonBody).toEqual({
        error: { code: 'forbidden', message: expect.stringContaining('PhotoSync.') },
      });
      expect(text(response)).not.toContain(displayName);
    }
    expect((await t.services.settings.read()).etag).toBe(before.etag);
    expect((await t.services.runs.list(50)).length).toBe(runsBefore);
  });

  test('PhotoSync.Reader may read every route and change nothing', async () => {
    const before = await t.services.settings.read();
    const runsBefore = (await t.services.runs.list(50)).length;
    for (const call of calls()) {
      const response = await invoke(call, { 'x-ms-client-principal': principal(['PhotoSync.Reader']) });
      const expected = CHANGES.has(call.method) ? 403 : 200;
      expect([call.method, call.path, response.status]).toEqual([call.method, call.path, expected]);
    }
    expect((await t.services.settings.read()).etag).toBe(before.etag);
    expect((await t.services.runs.list(50)).length).toBe(runsBefore);
  });

  test('PhotoSync.Admin may change, and the change is recorded under the signed-in name', async () => {
    const admin = { 'x-ms-client-principal': principal(['PhotoSync.Admin'], 'ada.admin@contoso.example') };
    for (const call of calls()) {
      const response = await invoke(call, admin);
      const expected = allowed(call);
      expect([call.method, call.path, response.status]).toEqual([call.method, call.path, expected]);
    }
    await t.drainQueues();
    expect(t.logEvents('runRequested').at(-1)).toMatchObject({ by: 'ada.admin@contoso.example' });
  });

  test('an unreadable principal header → 401, nothing changes', async () => {
    const before = await t.services.settings.read();
    for (const value of ['not base64 at all!', Buffer.from('{"claims":').toString('base64')])
      for (const call of calls().filter((c) => c.path !== 'health'))
        expect((await invoke(call, { 'x-ms-client-principal': value })).status).toBe(401);
    expect((await t.services.settings.read()).etag).toBe(before.etag);
  });
});

describe('in Azure without App Service authentication (fail closed)', () => {
  beforeEach(() => runIn('azureWithoutSignIn'));

  test('nobody can be identified: every route but health refuses, even with a principal header', async () => {
    const before = await t.services.settings.read();
    const runsBefore = (await t.services.runs.list(50)).length;
    // Without App Service authentication nothing strips a client-sent header: it must not count.
    const anyone: Array<Record<string, string>> = [
      {},
      { 'x-ms-client-principal': principal(['PhotoSync.Admin']) },
    ];
    for (const headers of anyone)
      for (const call of calls()) {
        const response = await invoke(call, headers);
        if (call.path === 'health') {
          expect(response.status).toBe(200);
          continue;
        }
        expect([call.method, call.path, response.status]).toEqual([call.method, call.path, 403]);
        expect((response.jsonBody as { error: { code: string } }).error.code).toBe('signInNotConfigured');
        expect(text(response)).not.toContain(displayName);
      }
    expect((await t.services.settings.read()).etag).toBe(before.etag);
    expect((await t.services.runs.list(50)).length).toBe(runsBefore);
  });
});

describe('locally (no Azure instance)', () => {
  test('everyone may read and change, with no sign-in', async () => {
    runIn('local');
    for (const call of calls()) {
      const response = await invoke(call, {});
      const expected = allowed(call);
      expect([call.method, call.path, response.status]).toEqual([call.method, call.path, expected]);
    }
    await t.drainQueues();
    expect(t.logEvents('runRequested').at(-1)).toMatchObject({ by: 'local (no sign-in)' });
  });
});

test('the README says how to give someone the PhotoSync.Reader and PhotoSync.Admin app roles', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const section = readme.slice(
    Math.max(0, readme.indexOf('PhotoSync.Admin') - 600),
    readme.indexOf('PhotoSync.Admin') + 1200,
  );
  expect(section).toContain('PhotoSync.Reader');
  expect(section).toMatch(/App roles/i);
  expect(section).toMatch(/assign/i);
  expect(section).toMatch(/Enterprise applications/i);
  expect(section).toMatch(/bearer/i);
  expect(section).toContain('WEBSITE_AUTH_ENABLED');
});
