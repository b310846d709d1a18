import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

export interface Binding {
  type: string;
  direction: string;
  authLevel?: string;
  route?: string;
  methods?: string[];
}

export interface Registration {
  metadata: { name: string; bindings: Record<string, Binding> };
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
}

/**
 * The worker's `@azure/functions-core` module as `@azure/functions` talks to it: each function is
 * registered with its binding metadata and handler, exactly as the Functions runtime receives
 * them. A test installs it with
 * `jest.mock('@azure/functions-core', () => require('../helpers/FunctionsCoreStandIn').functionsCoreStandIn(), { virtual: true })`.
 */
export function functionsCoreStandIn(): Record<string, unknown> {
  const registered: Registration[] = [];
  return {
    registered,
    version: 'test',
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    registerHook: () => ({ dispose: () => undefined }),
    log: () => undefined,
    registerFunction: (metadata: Registration['metadata'], handler: Registration['handler']) => {
      registered.push({ metadata, handler });
      return { dispose: () => undefined };
    },
  };
}

export const FUNCTIONS_FOLDER = join(__dirname, '..', '..', 'src', 'functions');

/** Loads every file of src/functions, as the runtime does, and returns what they registered. */
export function loadAppFunctions(): Registration[] {
  for (const file of readdirSync(FUNCTIONS_FOLDER)
    .filter((name) => name.endsWith('.ts'))
    .sort())
    require(join(FUNCTIONS_FOLDER, file));
  return jest.requireMock<{ registered: Registration[] }>('@azure/functions-core').registered;
}
