import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { checkInfraStructure, formatProblem } from './BicepStructure';

/**
 * `npm run infra:check`: the structural checks of infra/, then a real `bicep build` (which also
 * lints) when a Bicep compiler is on PATH. Without one it says so and passes on the structural
 * checks alone, since a compiler cannot be installed everywhere this runs (offline CI).
 */
const root = resolve(__dirname, '..', '..', '..');
const infraDir = join(root, 'infra');
const mainBicep = join(infraDir, 'main.bicep');

function onPath(command: string): string | undefined {
  const extensions =
    process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const directory of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const extension of extensions) {
      const candidate = join(directory, command + extension);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

/** `bicep build` of main.bicep (modules included), written outside the repo so azd never sees a main.json. */
function compile(): number | undefined {
  const bicep = onPath('bicep');
  const az = bicep === undefined ? onPath('az') : undefined;
  const executable = bicep ?? az;
  if (executable === undefined) return undefined;
  const outDir = mkdtempSync(join(tmpdir(), 'infra-check-'));
  const args =
    bicep !== undefined
      ? ['build', mainBicep, '--outdir', outDir]
      : ['bicep', 'build', '--file', mainBicep, '--outdir', outDir];
  console.log(`Compiling with ${bicep !== undefined ? 'bicep' : 'az bicep'} build …`);
  try {
    // Windows installs az as a .cmd script, which Node runs only through a shell.
    const result = spawnSync(executable, args, { stdio: 'inherit', shell: /\.(cmd|bat)$/i.test(executable) });
    if (result.error !== undefined) throw result.error;
    return result.status ?? 1;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

function main(): number {
  const problems = checkInfraStructure(infraDir);
  for (const problem of problems) console.error(formatProblem(problem));
  if (problems.length > 0) {
    console.error(`Structural checks of infra/: ${problems.length} problem(s).`);
    return 1;
  }
  console.log('Structural checks of infra/: passed (braces, module and file references, parameters).');
  const status = compile();
  if (status === undefined) {
    console.log(
      'No Bicep compiler available: neither `bicep` nor `az` is on PATH, so infra/ was NOT compiled or linted.',
    );
    console.log(
      'Install the Bicep CLI (or the Azure CLI) and run `npm run infra:check` again for a full check.',
    );
    return 0;
  }
  console.log(status === 0 ? 'Bicep build: passed.' : `Bicep build: failed (exit code ${status}).`);
  return status;
}

process.exitCode = main();
