import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './RepoRoot';

/**
 * The real Bicep compiler, restored from NuGet (`Azure.Bicep.CommandLine.linux-x64`) with the
 * .NET SDK into `.tools/` (git-ignored), pinned so that every machine and CI lint with the same
 * rules. Restored once; later calls find it in place.
 */
export const BICEP_VERSION = '0.49.2';
const PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';

const TOOLS_DIR = join(REPO_ROOT, '.tools', 'bicep');

export type BicepCli =
  { kind: 'available'; path: string; version: string } | { kind: 'missing'; reason: string };

function binaryPath(): string {
  return join(TOOLS_DIR, 'packages', PACKAGE.toLowerCase(), BICEP_VERSION, 'tools', 'bicep');
}

export interface CommandResult {
  status: number;
  stdout: string;
  /** stdout and stderr together, for messages. */
  output: string;
}

function run(command: string, args: string[], cwd?: string): CommandResult {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error !== undefined) return { status: -1, stdout: '', output: result.error.message };
  return { status: result.status ?? 1, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

/** A project that only downloads the package: `PackageDownload` restores it without building anything. */
function restoreProject(): string {
  return `<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="${PACKAGE}" Version="[${BICEP_VERSION}]" />
  </ItemGroup>
</Project>
`;
}

/** Finds the pinned Bicep CLI, restoring it first when `dotnet` can; says why when it cannot. */
export function locateBicep(): BicepCli {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return {
      kind: 'missing',
      reason: `the pinned package is for linux-x64, this is ${process.platform}-${process.arch}`,
    };
  }
  const path = binaryPath();
  if (!existsSync(path)) {
    const dotnet = run('dotnet', ['--version']);
    if (dotnet.status !== 0) return { kind: 'missing', reason: 'the .NET SDK (dotnet) is not installed' };
    mkdirSync(TOOLS_DIR, { recursive: true });
    const project = join(TOOLS_DIR, 'restore-bicep.csproj');
    writeFileSync(project, restoreProject());
    const restore = run('dotnet', [
      'restore',
      project,
      '--packages',
      join(TOOLS_DIR, 'packages'),
      '--nologo',
    ]);
    if (restore.status !== 0 || !existsSync(path)) {
      const detail = restore.output.trim().split('\n').slice(-3).join(' ');
      return { kind: 'missing', reason: `dotnet restore of ${PACKAGE} ${BICEP_VERSION} failed: ${detail}` };
    }
  }
  // NuGet extracts files without their execute bit.
  chmodSync(path, 0o755);
  const version = run(path, ['--version']);
  const match = /Bicep CLI version (\S+)/.exec(version.output);
  if (version.status !== 0 || match === null) {
    return { kind: 'missing', reason: `${path} does not run: ${version.output.trim()}` };
  }
  return { kind: 'available', path, version: match[1] };
}

/** Runs the CLI; Bicep writes its diagnostics to stderr, the compiled JSON to files or stdout. */
export function runBicep(
  cli: Extract<BicepCli, { kind: 'available' }>,
  args: string[],
  cwd?: string,
): CommandResult {
  return run(cli.path, args, cwd);
}
