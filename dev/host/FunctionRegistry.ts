import Module from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A function as the app registered it with `app.http` / `app.timer` / `app.storageQueue`. */
export interface RegisteredFunction {
  name: string;
  trigger: { type: string; name: string; [setting: string]: unknown };
  handler: (...args: unknown[]) => unknown;
}

const CORE_MODULE = '@azure/functions-core';

/** What `@azure/functions` hands the worker for each function it registers. */
export interface FunctionMetadata {
  name: string;
  bindings: Record<string, { direction: string; type: string }>;
}

/** A registration as the worker receives it, with its trigger binding picked out. */
export function registeredFunction(
  metadata: FunctionMetadata,
  handler: RegisteredFunction['handler'],
): RegisteredFunction {
  const [triggerName, trigger] =
    Object.entries(metadata.bindings).find(
      ([, binding]) => binding.direction === 'in' && /trigger$/i.test(binding.type),
    ) ?? [];
  if (trigger === undefined || triggerName === undefined)
    throw new Error(`function ${metadata.name} has no trigger`);
  return { name: metadata.name, trigger: { ...trigger, name: triggerName }, handler };
}

type Resolver = (request: string, ...rest: unknown[]) => string;

/**
 * `@azure/functions` registers each function with the worker's `@azure/functions-core` module,
 * handing it the binding metadata and the app's own handler. Standing in for that module lets the
 * local host read the same registrations the Functions runtime reads: one list of functions, no
 * second registration to keep in step.
 */
function installCoreModule(registered: RegisteredFunction[]): void {
  const moduleWithResolver = Module as unknown as { _resolveFilename: Resolver };
  const original = moduleWithResolver._resolveFilename;
  moduleWithResolver._resolveFilename = function resolveCore(
    this: unknown,
    request: string,
    ...rest: unknown[]
  ): string {
    return request === CORE_MODULE ? CORE_MODULE : original.call(this, request, ...rest);
  };
  const core = {
    version: 'local-host',
    setProgrammingModel: (): void => undefined,
    getProgrammingModel: (): undefined => undefined,
    registerHook: (): { dispose: () => void } => ({ dispose: () => undefined }),
    log: (): void => undefined,
    registerFunction(metadata: FunctionMetadata, handler: RegisteredFunction['handler']) {
      registered.push(registeredFunction(metadata, handler));
      return { dispose: () => undefined };
    },
  };
  const cached = new Module(CORE_MODULE);
  cached.filename = CORE_MODULE;
  cached.loaded = true;
  cached.exports = core;
  require.cache[CORE_MODULE] = cached;
}

/** The compiled function files, found the way the Functions runtime finds them: package.json `main`. */
export function functionFiles(projectRoot: string): string[] {
  const main = (JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { main?: string })
    .main;
  if (main === undefined || !main.endsWith('/*.js'))
    throw new Error('package.json "main" must be a folder glob like dist/src/functions/*.js');
  const folder = resolve(projectRoot, dirname(main));
  return readdirSync(folder)
    .filter((file) => file.endsWith('.js'))
    .sort()
    .map((file) => join(folder, file));
}

let loaded: RegisteredFunction[] | undefined;

/** Loads the app once per process and returns every function it registered. */
export function loadFunctions(projectRoot: string): RegisteredFunction[] {
  if (loaded !== undefined) return loaded;
  const registered: RegisteredFunction[] = [];
  installCoreModule(registered);
  // The app registers its functions as a side effect of loading each file, as the Functions host does.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  for (const file of functionFiles(projectRoot)) require(file);
  loaded = registered;
  return registered;
}
