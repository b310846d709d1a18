import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';

/**
 * The folder `azd deploy` uploads (azure.yaml `dist`), built by the prepackage hook from a built
 * tree: host.json, a package.json, the build output of `src/` (compiled JS and the console's static
 * files under dist/src/console; no tests, no dev/, no source maps), and the production dependencies only, installed for Linux x64
 * glibc, what Flex Consumption runs, whatever machine builds it.
 */
export const PACKAGE_DIR = join('.deploy', 'package');

const Manifest = z.looseObject({
  name: z.string(),
  version: z.string(),
  main: z.string(),
  engines: z.record(z.string(), z.string()).optional(),
  dependencies: z.record(z.string(), z.string()),
});

export interface PackageSummary {
  dir: string;
  bytes: number;
  files: number;
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stdout}${result.stderr}`);
  }
}

function copyTree(from: string, to: string, keep: (path: string) => boolean): void {
  cpSync(from, to, { recursive: true, filter: (path) => statSync(path).isDirectory() || keep(path) });
}

/** Type declarations and source maps: read by editors and debuggers, never by Node. */
const UNUSED_FILE = /\.(map|d\.ts|d\.mts|d\.cts)$/;
/** Builds for other platforms, which a package's `exports` offers only to browsers and React Native. */
const OTHER_PLATFORM_BUILD = /[/\\]dist[/\\](browser|react-native)$/;

/** Drops from the dependencies what Node never loads on the server, about half their size. */
function prune(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (OTHER_PLATFORM_BUILD.test(path)) rmSync(path, { recursive: true });
      else prune(path);
    } else if (UNUSED_FILE.test(entry.name)) rmSync(path);
  }
}

export function measure(dir: string): PackageSummary {
  let bytes = 0;
  let files = 0;
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else {
        bytes += statSync(child).size;
        files++;
      }
    }
  };
  walk(dir);
  return { dir, bytes, files };
}

/**
 * Builds the package under `root` (or into `outDir`) from `root`'s dist/ and lockfile. npm installs
 * exactly the lockfile's production dependencies (`npm ci --omit=dev`), with the native binaries of
 * Linux x64 (`--os/--cpu/--libc`), and runs no install scripts (none is needed: sharp ships its
 * binary as a platform package).
 */
export function buildDeploymentPackage(root: string, outDir = join(root, PACKAGE_DIR)): PackageSummary {
  const compiled = join(root, 'dist', 'src');
  if (!existsSync(compiled))
    throw new Error(`${relative(root, compiled)} is missing: run npm run build first`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // npm ci needs the manifest and lockfile as they are, in step with each other.
  for (const file of ['package.json', 'package-lock.json', 'host.json'])
    cpSync(join(root, file), join(outDir, file));
  run(
    'npm',
    [
      'ci',
      '--omit=dev',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--os=linux',
      '--cpu=x64',
      '--libc=glibc',
    ],
    outDir,
  );
  // What Azure reads of package.json: main (the function files), the dependencies for the record.
  const manifest = Manifest.parse(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')));
  const { name, version, main, engines, dependencies } = manifest;
  writeFileSync(
    join(outDir, 'package.json'),
    `${JSON.stringify({ name, version, private: true, main, engines, dependencies }, null, 2)}\n`,
  );
  rmSync(join(outDir, 'package-lock.json'));
  prune(join(outDir, 'node_modules'));
  // The build output as the app finds it: compiled JS and the console's assets (dist/src/console).
  // tsc never deletes what an earlier build left, so a .js whose source is gone stays out.
  const fromSource = (path: string): boolean =>
    !path.endsWith('.js') || existsSync(join(root, 'src', relative(compiled, path)).replace(/\.js$/, '.ts'));
  copyTree(
    compiled,
    join(outDir, 'dist', 'src'),
    (path) => !UNUSED_FILE.test(path) && !path.endsWith('.tsbuildinfo') && fromSource(path),
  );
  return measure(outDir);
}

export function formatSize(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
