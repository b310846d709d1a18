import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { runBicep, type BicepCli } from './BicepCli';
import { distinctDiagnostics, parseDiagnostics, type BicepDiagnostic } from './BicepDiagnostics';

export interface InfraCompilation {
  /** Every `.bicep` file under the directory, relative to it. */
  files: string[];
  diagnostics: BicepDiagnostic[];
  /** Files with at least one error: Bicep could not compile them. */
  failed: Map<string, BicepDiagnostic>;
  version: string;
}

export function bicepFiles(directory: string, base = directory): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) return bicepFiles(path, base);
      return entry.name.endsWith('.bicep') ? [relative(base, path)] : [];
    })
    .sort();
}

/**
 * `bicep build` and `bicep lint` of every `.bicep` file under `infraDir`. The compiled JSON goes
 * to a temporary folder and is dropped: azd compiles for itself, and a stray main.json beside
 * main.bicep would be deployed instead of it.
 */
export function compileInfra(
  cli: Extract<BicepCli, { kind: 'available' }>,
  infraDir: string,
): InfraCompilation {
  const outDir = mkdtempSync(join(tmpdir(), 'infra-build-'));
  try {
    const build = runBicep(cli, ['build', '--pattern', '**/*.bicep', '--outdir', outDir], infraDir);
    const lint = runBicep(cli, ['lint', '--pattern', '**/*.bicep'], infraDir);
    const diagnostics = distinctDiagnostics([
      ...parseDiagnostics(build.output),
      ...parseDiagnostics(lint.output),
    ]).map((diagnostic) => ({ ...diagnostic, file: relative(infraDir, diagnostic.file) }));
    const failed = new Map<string, BicepDiagnostic>();
    for (const diagnostic of diagnostics) {
      if (diagnostic.level === 'Error' && !failed.has(diagnostic.file))
        failed.set(diagnostic.file, diagnostic);
    }
    // A non-zero exit without a parsed error (a crash, a bad pattern) must not pass as clean.
    if ((build.status !== 0 || lint.status !== 0) && failed.size === 0) {
      failed.set('(bicep)', {
        file: '(bicep)',
        line: 0,
        column: 0,
        level: 'Error',
        code: `exit ${build.status !== 0 ? build.status : lint.status}`,
        message: (build.status !== 0 ? build.output : lint.output).trim(),
      });
    }
    return { files: bicepFiles(infraDir), diagnostics, failed, version: cli.version };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** The check's last line, e.g. `7 Bicep files compiled by Bicep CLI 0.49.2: 0 errors, 0 warnings`. */
export function summaryLine(compilation: InfraCompilation): string {
  const errors = compilation.diagnostics.filter((diagnostic) => diagnostic.level === 'Error').length;
  const warnings = compilation.diagnostics.filter((diagnostic) => diagnostic.level === 'Warning').length;
  const compiled = compilation.files.filter((file) => !compilation.failed.has(file)).length;
  const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
  const line = `${plural(compiled, 'Bicep file')} compiled by Bicep CLI ${compilation.version}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  if (compilation.failed.size === 0) return line;
  const notCompiled = [...compilation.failed.values()].map(
    (diagnostic) =>
      `${diagnostic.file} (${diagnostic.code}: ${diagnostic.message.replace(/ \[https:[^\]]+\]$/, '')})`,
  );
  return `${line}; not compiled: ${notCompiled.join('; ')}`;
}
