import { join } from 'node:path';
import { locateBicep } from './BicepCli';
import { REPO_ROOT } from './RepoRoot';
import { compileInfra, summaryLine } from './InfraCompiler';

/**
 * `npm run infra:check` (and `npm test`): every `.bicep` file under infra/ (or the folder given
 * as the first argument) built and linted by the pinned Bicep CLI. Any error or warning fails.
 * Where the CLI cannot be had, it says so and passes, except under CI=true, where .ci/run makes
 * sure it can be had.
 */
function main(): number {
  const infraDir = process.argv[2] ?? join(REPO_ROOT, 'infra');
  const cli = locateBicep();
  if (cli.kind === 'missing') {
    const ci = process.env.CI === 'true';
    console.log(
      `Bicep CLI not available (${cli.reason}): infra/ was NOT compiled or linted${ci ? ' (CI=true: failing)' : ''}.`,
    );
    return ci ? 1 : 0;
  }
  const compilation = compileInfra(cli, infraDir);
  for (const diagnostic of compilation.diagnostics) {
    console.log(
      `${diagnostic.file}(${diagnostic.line},${diagnostic.column}) : ${diagnostic.level} ${diagnostic.code}: ${diagnostic.message}`,
    );
  }
  const failing =
    compilation.failed.size > 0 || compilation.diagnostics.some((diagnostic) => diagnostic.level !== 'Info');
  console.log(summaryLine(compilation));
  return failing ? 1 : 0;
}

process.exitCode = main();
