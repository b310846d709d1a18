import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The authLevel of every route, read from the registrations themselves: `@azure/functions` hands
 * each function's binding metadata to the worker's `@azure/functions-core` module, stood in for
 * here, exactly as the Functions runtime receives it. A new route cannot slip through: every file
 * in src/functions is loaded and every HTTP function is checked.
 */

interface Binding {
  type: string;
  direction: string;
  authLevel?: string;
  route?: string;
  methods?: string[];
}

interface Registration {
  name: string;
  bindings: Record<string, Binding>;
}

jest.mock(
  '@azure/functions-core',
  () => {
    const registered: Registration[] = [];
    return {
      registered,
      version: 'test',
      setProgrammingModel: () => undefined,
      getProgrammingModel: () => undefined,
      registerHook: () => ({ dispose: () => undefined }),
      log: () => undefined,
      registerFunction: (metadata: Registration) => {
        registered.push(metadata);
        return { dispose: () => undefined };
      },
    };
  },
  { virtual: true },
);

const functionsFolder = join(__dirname, '..', '..', 'src', 'functions');
let registrations: Registration[];

beforeAll(() => {
  for (const file of readdirSync(functionsFolder)
    .filter((name) => name.endsWith('.ts'))
    .sort())
    require(join(functionsFolder, file));
  registrations = jest.requireMock<{ registered: Registration[] }>('@azure/functions-core').registered;
});

function httpTriggers(): Array<{ name: string; trigger: Binding }> {
  return registrations
    .map((registration) => ({
      name: registration.name,
      trigger: Object.values(registration.bindings).find((binding) => binding.type === 'httpTrigger'),
    }))
    .filter((entry): entry is { name: string; trigger: Binding } => entry.trigger !== undefined);
}

test('every file in src/functions registers its functions with the runtime', () => {
  const files = readdirSync(functionsFolder).filter((name) => name.endsWith('.ts'));
  expect(registrations.length).toBeGreaterThanOrEqual(files.length);
  expect(httpTriggers().length).toBeGreaterThanOrEqual(7);
});

test('every route but /api/health has authLevel function; health is anonymous', () => {
  const levels = Object.fromEntries(httpTriggers().map(({ trigger }) => [trigger.route, trigger.authLevel]));
  expect(levels).toEqual({
    health: 'anonymous',
    settings: 'function',
    'settings/history': 'function',
    'photos/purge': 'function',
    sync: 'function',
    'runs/{runId?}': 'function',
    'users/{userId?}': 'function',
    'users/{userId}/photo': 'function',
    'users/{userId}/photo/log': 'function',
  });
  for (const { name, trigger } of httpTriggers()) {
    if (trigger.route !== 'health') expect([name, trigger.authLevel]).toEqual([name, 'function']);
  }
});

test('every route names its methods: nothing falls back to the default GET and POST', () => {
  const methods = Object.fromEntries(
    httpTriggers().map(({ trigger }) => [trigger.route, [...(trigger.methods ?? [])].sort()]),
  );
  expect(methods).toEqual({
    health: ['GET'],
    settings: ['GET', 'PATCH'],
    'settings/history': ['GET'],
    'photos/purge': ['POST'],
    sync: ['POST'],
    'runs/{runId?}': ['GET'],
    'users/{userId?}': ['GET'],
    'users/{userId}/photo': ['GET'],
    'users/{userId}/photo/log': ['GET'],
  });
});

test('the route prefix stays /api (host.json does not change it)', () => {
  const host = JSON.parse(readFileSync(join(__dirname, '..', '..', 'host.json'), 'utf8')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  expect(host.extensions?.http?.routePrefix ?? 'api').toBe('api');
});

test('the README says how to give an admin the PhotoSync.Admin app role', () => {
  const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
  const section = readme.slice(
    Math.max(0, readme.indexOf('PhotoSync.Admin') - 400),
    readme.indexOf('PhotoSync.Admin') + 800,
  );
  expect(section).toContain('PhotoSync.Admin');
  expect(section).toMatch(/PATCH \/api\/settings/);
  expect(section).toMatch(/POST \/api\/sync/);
  expect(section).toMatch(/App roles/i);
  expect(section).toMatch(/assign/i);
  expect(section).toMatch(/Enterprise applications/i);
});
