import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildDeploymentPackage,
  formatSize,
  PACKAGE_DIR,
  type PackageSummary,
} from '../../dev/infra/DeploymentPackage';
import { REPO_ROOT } from '../../dev/infra/RepoRoot';

/**
 * The package `azd deploy` uploads, built by the same function as azd's prepackage hook, from the
 * tree `npm test` has just built, into a folder outside the repository, so nothing resolves a
 * module from the repository's own node_modules.
 */
let outDir: string;
let summary: PackageSummary;

beforeAll(() => {
  outDir = join(mkdtempSync(join(tmpdir(), 'deploy-package-')), 'package');
  summary = buildDeploymentPackage(REPO_ROOT, outDir);
  console.log(
    `Deployment package: ${summary.files} files, ${formatSize(summary.bytes)} (${summary.bytes} bytes).`,
  );
}, 180_000);

afterAll(() => {
  rmSync(join(outDir, '..'), { recursive: true, force: true });
});

const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Dependencies with a native binary, loaded for real in the package. */
const NATIVE = ['sharp'];

/** Loads every function file from the package in a plain Node process and lists what registered. */
function loadFunctions(): { registered: Array<{ kind: string; name: string }>; files: string[] } {
  const script = `
    const { app } = require('@azure/functions');
    const registered = [];
    for (const kind of Object.keys(app)) {
      if (typeof app[kind] !== 'function' || kind === 'setup' || kind === 'hook') continue;
      app[kind] = (name) => registered.push({ kind, name });
    }
    const dir = 'dist/src/functions';
    const files = require('fs').readdirSync(dir).filter((file) => file.endsWith('.js'));
    for (const file of files) require(require('path').resolve(dir, file));
    // The SDK clients as Azure builds them (managed identity, identity-based storage): no request
    // is sent, but every module they load on construction must be in the package.
    const { loadConfig } = require('./dist/src/config/AppConfig.js');
    const { createStorageClients } = require('./dist/src/storage/StorageClients.js');
    const { createGraphClient } = require('./dist/src/graph/createGraphClient.js');
    const config = loadConfig({
      AzureWebJobsStorage__accountName: 'stpackage',
      AzureWebJobsStorage__clientId: '11111111-2222-3333-4444-555555555555',
      AZURE_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    });
    const { createCredential } = require('./dist/src/app/AppCredential.js');
    const credential = createCredential(config);
    createStorageClients(config, credential);
    createGraphClient(config, credential);
    for (const native of ${JSON.stringify(NATIVE)}) if (${JSON.stringify(Object.keys(manifest.dependencies))}.includes(native)) require(native);
    console.log(JSON.stringify({ registered, files }));
  `;
  const result = spawnSync(process.execPath, ['-e', script], {
    cwd: outDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  expect(result.stderr).not.toMatch(/Cannot find module|Error:/);
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as ReturnType<typeof loadFunctions>;
}

describe('the deployment package (what azd deploy uploads)', () => {
  it('is the size docs/deploy.md states, within a fifth', () => {
    const stated = /\*\*about (\d+) MiB\*\*/.exec(readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8'));
    expect(stated).not.toBeNull();
    const mib = summary.bytes / 1024 / 1024;
    expect(Math.abs(mib - Number(stated![1])) / Number(stated![1])).toBeLessThan(0.2);
  });

  it('loads every function file with the production dependencies alone', () => {
    const { registered, files } = loadFunctions();
    const sources = readdirSync(join(REPO_ROOT, 'src', 'functions')).filter((file) => file.endsWith('.ts'));
    expect(files.sort()).toEqual(sources.map((file) => file.replace(/\.ts$/, '.js')).sort());
    // Every function file registers at least one function with the Functions host.
    expect(registered.length).toBeGreaterThanOrEqual(files.length);
    expect(manifest.main).toBe('dist/src/functions/*.js');
  });

  it('has exactly the production dependencies: no test tool, no compiler, no Azurite', () => {
    const installed = (dir: string): string[] =>
      readdirSync(dir).flatMap((entry) =>
        entry.startsWith('@') ? readdirSync(join(dir, entry)).map((name) => `${entry}/${name}`) : [entry],
      );
    const modules = installed(join(outDir, 'node_modules'));
    for (const dependency of Object.keys(manifest.dependencies)) expect(modules).toContain(dependency);
    for (const dev of Object.keys(manifest.devDependencies)) expect(modules).not.toContain(dev);
  });

  it('carries host.json and compiled code only: no TypeScript, tests, dev/ or local settings', () => {
    expect(readdirSync(outDir).sort()).toEqual(['dist', 'host.json', 'node_modules', 'package.json']);
    expect(readdirSync(join(outDir, 'dist'))).toEqual(['src']);
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
      );
    const relativeFiles = (dir: string): string[] =>
      walk(dir)
        .map((file) => file.slice(dir.length + 1))
        .sort();
    // The build output of src/ (compiled JS, the console's assets), less maps, declarations and
    // the leftovers of earlier builds (a .js whose .ts is gone).
    expect(relativeFiles(join(outDir, 'dist', 'src'))).toEqual(
      relativeFiles(join(REPO_ROOT, 'dist', 'src')).filter(
        (file) =>
          !/\.(map|d\.ts)$/.test(file) &&
          (!file.endsWith('.js') || existsSync(join(REPO_ROOT, 'src', file.replace(/\.js$/, '.ts')))),
      ),
    );
    expect(walk(join(outDir, 'dist')).filter((file) => /\.(ts|map)$/.test(file))).toEqual([]);
    expect(readFileSync(join(outDir, 'host.json'), 'utf8')).toBe(
      readFileSync(join(REPO_ROOT, 'host.json'), 'utf8'),
    );
  });

  it('carries the Linux x64 binaries of native dependencies', () => {
    if (manifest.dependencies.sharp === undefined) return;
    expect(existsSync(join(outDir, 'node_modules', '@img', 'sharp-linux-x64'))).toBe(true);
    expect(existsSync(join(outDir, 'node_modules', '@img', 'sharp-libvips-linux-x64'))).toBe(true);
  });
});

describe('azure.yaml: azd builds here and uploads that package', () => {
  const azureYaml = readFileSync(join(REPO_ROOT, 'azure.yaml'), 'utf8');

  it('deploys an azd service of host function and language ts, without a remote build', () => {
    expect(azureYaml).toMatch(/^ {4}host: function$/m);
    expect(azureYaml).toMatch(/^ {4}language: ts$/m);
    expect(azureYaml).toMatch(/^ {4}remoteBuild: false$/m);
    expect(azureYaml).toMatch(new RegExp(`^ {4}dist: ${PACKAGE_DIR.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('builds the package in the service prepackage hook with the script this test uses', () => {
    const prepackage = /^ {6}prepackage:\n((?: {8}.*\n)+)/m.exec(azureYaml)?.[1] ?? '';
    const runs = [...prepackage.matchAll(/run: (.+)$/gm)].map((match) => match[1]);
    expect(runs).toEqual(['node dist/dev/infra/buildPackage.js', 'node dist/dev/infra/buildPackage.js']);
    expect(readFileSync(join(REPO_ROOT, 'dev', 'infra', 'buildPackage.ts'), 'utf8')).toContain(
      'buildDeploymentPackage(REPO_ROOT)',
    );
  });

  it('runs only scripts that exist, with the hook names they accept', () => {
    const calls = [...azureYaml.matchAll(/node dist\/(dev\/infra\/\w+)\.js(?: (\w+))?/g)];
    expect(calls.length).toBeGreaterThan(0);
    for (const [, script, argument] of calls) {
      const source = readFileSync(join(REPO_ROOT, `${script}.ts`), 'utf8');
      if (argument !== undefined) expect(source).toMatch(new RegExp(`\\b${argument}\\b`));
    }
  });

  it('has no deployed code that imports dev/ or test/ code', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? sources(join(dir, entry.name))
          : entry.name.endsWith('.ts')
            ? [join(dir, entry.name)]
            : [],
      );
    const offending = sources(join(REPO_ROOT, 'src')).filter((path) =>
      /from '(\.\.\/)+(dev|test)\//.test(readFileSync(path, 'utf8')),
    );
    expect(offending).toEqual([]);
  });
});
