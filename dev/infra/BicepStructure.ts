import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { BicepSyntaxError } from './BicepLexer';
import {
  extensionAliases,
  loadedPaths,
  modules,
  nestedObject,
  objectEntries,
  params,
  parseBicep,
  type BicepFile,
} from './BicepFile';

/**
 * The structural checks of `infra/` that need no Bicep compiler: what `npm run infra:check`
 * runs when none is installed, and what the jest consistency test runs always.
 */
export interface StructureProblem {
  /** Relative to the infra directory. */
  file: string;
  line?: number;
  message: string;
}

export function formatProblem(problem: StructureProblem): string {
  return `infra/${problem.file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.message}`;
}

/** Registry, template-spec and other non-local module references: only a compiler can resolve them. */
const REMOTE_REFERENCE = /^(br|ts)[:/]/;

function bicepFilesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return bicepFilesUnder(path);
    return entry.name.endsWith('.bicep') ? [path] : [];
  });
}

/** Every `.bicep` file under `infraDir`, parsed; a file that does not parse is a problem, not an exception. */
export function readBicepFiles(infraDir: string): {
  files: Map<string, BicepFile>;
  problems: StructureProblem[];
} {
  const files = new Map<string, BicepFile>();
  const problems: StructureProblem[] = [];
  for (const path of bicepFilesUnder(infraDir)) {
    try {
      files.set(path, parseBicep(path, readFileSync(path, 'utf8')));
    } catch (error) {
      if (!(error instanceof BicepSyntaxError)) throw error;
      problems.push({ file: relative(infraDir, path), line: error.line, message: error.reason });
    }
  }
  return { files, problems };
}

export function checkInfraStructure(infraDir: string): StructureProblem[] {
  const { files, problems } = readBicepFiles(infraDir);
  const mainPath = join(infraDir, 'main.bicep');
  if (!existsSync(mainPath))
    return [...problems, { file: 'main.bicep', message: 'missing: azd provisions infra/main.bicep' }];
  for (const file of files.values()) {
    const where = relative(infraDir, file.path);
    problems.push(
      ...checkModules(file, files, where),
      ...checkLoadedPaths(file, where),
      ...checkExtensions(file, infraDir, where),
    );
  }
  const main = files.get(mainPath);
  if (main !== undefined) problems.push(...checkParametersFile(main, join(infraDir, 'main.parameters.json')));
  return problems.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
}

function checkModules(file: BicepFile, files: Map<string, BicepFile>, where: string): StructureProblem[] {
  return modules(file).flatMap((module) => {
    if (REMOTE_REFERENCE.test(module.target)) return [];
    const targetPath = resolve(dirname(file.path), module.target);
    if (!existsSync(targetPath))
      return [
        {
          file: where,
          line: module.line,
          message: `module ${module.symbol}: '${module.target}' does not exist`,
        },
      ];
    const target = files.get(targetPath);
    const passed = nestedObject(file, objectEntries(file, module.bodyOpen), 'params');
    if (target === undefined || passed === undefined) return [];
    const declared = params(target);
    const declaredNames = new Set(declared.map((param) => param.name));
    const passedNames = new Set(passed.map((entry) => entry.key));
    return [
      ...passed
        .filter((entry) => !declaredNames.has(entry.key))
        .map((entry) => ({
          file: where,
          line: entry.line,
          message: `module ${module.symbol}: '${module.target}' declares no param '${entry.key}'`,
        })),
      ...declared
        .filter((param) => param.defaultText === undefined && !passedNames.has(param.name))
        .map((param) => ({
          file: where,
          line: module.line,
          message: `module ${module.symbol}: required param '${param.name}' of '${module.target}' is not passed`,
        })),
    ];
  });
}

function checkLoadedPaths(file: BicepFile, where: string): StructureProblem[] {
  return loadedPaths(file)
    .filter((loaded) => !existsSync(resolve(dirname(file.path), loaded.path)))
    .map((loaded) => ({ file: where, line: loaded.line, message: `'${loaded.path}' does not exist` }));
}

/** An extension alias must be defined in the nearest bicepconfig.json, as the compiler looks it up. */
function checkExtensions(file: BicepFile, infraDir: string, where: string): StructureProblem[] {
  const aliases = extensionAliases(file);
  if (aliases.length === 0) return [];
  const configPath = nearestBicepConfig(dirname(file.path), infraDir);
  let configured: Record<string, string> = {};
  if (configPath !== undefined) {
    const config = readJson<{ extensions?: Record<string, string> }>(configPath);
    if ('problem' in config) return [{ file: relative(infraDir, configPath), message: config.problem }];
    configured = config.value.extensions ?? {};
  }
  return aliases
    .filter(({ alias }) => configured[alias] === undefined)
    .map(({ alias, line }) => ({
      file: where,
      line,
      message: `extension '${alias}' is not defined under "extensions" in a bicepconfig.json`,
    }));
}

function nearestBicepConfig(directory: string, infraDir: string): string | undefined {
  for (let current = directory; ; current = dirname(current)) {
    const candidate = join(current, 'bicepconfig.json');
    if (existsSync(candidate)) return candidate;
    if (resolve(current) === resolve(infraDir) || dirname(current) === current) return undefined;
  }
}

/** azd deploys main.bicep with main.parameters.json: each side must know the other's names. */
function checkParametersFile(main: BicepFile, parametersPath: string): StructureProblem[] {
  if (!existsSync(parametersPath))
    return [{ file: 'main.parameters.json', message: 'missing: azd passes it to main.bicep' }];
  const parameters = readJson<{ parameters?: Record<string, unknown> }>(parametersPath);
  if ('problem' in parameters) return [{ file: 'main.parameters.json', message: parameters.problem }];
  const given = Object.keys(parameters.value.parameters ?? {});
  const declared = params(main);
  const declaredNames = new Set(declared.map((param) => param.name));
  return [
    ...given
      .filter((name) => !declaredNames.has(name))
      .map((name) => ({
        file: 'main.parameters.json',
        message: `parameter '${name}' is not declared in main.bicep`,
      })),
    ...declared
      .filter((param) => param.defaultText === undefined && !given.includes(param.name))
      .map((param) => ({
        file: 'main.bicep',
        line: param.line,
        message: `param '${param.name}' has no default and main.parameters.json does not give it`,
      })),
  ];
}

function readJson<T>(path: string): { value: T } | { problem: string } {
  try {
    return { value: JSON.parse(readFileSync(path, 'utf8')) as T };
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    return { problem: `not valid JSON: ${error.message}` };
  }
}
