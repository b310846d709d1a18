import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BICEP_VERSION } from '../../dev/infra/BicepCli';
import { compileInfra, summaryLine } from '../../dev/infra/InfraCompiler';
import { bicepForTests } from '../helpers/BicepForTests';

const cli = bicepForTests();
const withBicep = cli === undefined ? describe.skip : describe;

withBicep('npm run infra:check on a folder of Bicep files', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'infra-check-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the pinned compiler', () => {
    expect(cli!.version).toBe(BICEP_VERSION);
  });

  it('counts clean files, names a file it could not compile and why, and counts lint warnings', () => {
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'main.bicep'), "param name string\noutput greeting string = 'hello ${name}'\n");
    // A lint warning: a parameter nothing uses.
    writeFileSync(join(dir, 'app', 'unused.bicep'), "param unused string\noutput fixed string = 'x'\n");
    // A misspelt symbol: an error, so no JSON is produced.
    writeFileSync(join(dir, 'app', 'typo.bicep'), 'output greeting string = nmae\n');
    const compilation = compileInfra(cli!, dir);
    expect(compilation.files).toEqual(['app/typo.bicep', 'app/unused.bicep', 'main.bicep']);
    expect(summaryLine(compilation)).toMatch(
      new RegExp(
        `^2 Bicep files compiled by Bicep CLI ${BICEP_VERSION.replace(/\./g, '\\.')}: [1-9]\\d* errors?, 1 warning; not compiled: app/typo\\.bicep \\(BCP\\d+: .+\\)$`,
      ),
    );
    expect(compilation.diagnostics.find((diagnostic) => diagnostic.level === 'Warning')).toMatchObject({
      file: 'app/unused.bicep',
      code: 'no-unused-params',
    });
  });

  it('warns on a misspelt property of a known resource type (a warning fails the check too)', () => {
    writeFileSync(
      join(dir, 'main.bicep'),
      "resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {\n  name: 'stx'\n  location: 'westeurope'\n  kind: 'StorageV2'\n  sku: { name: 'Standard_LRS' }\n  properties: { allowBlobPublicAcess: false }\n}\n",
    );
    const compilation = compileInfra(cli!, dir);
    expect(compilation.diagnostics).toEqual([
      expect.objectContaining({ file: 'main.bicep', level: 'Warning', code: 'BCP089' }),
    ]);
    expect(summaryLine(compilation)).toMatch(/: 0 errors, 1 warning$/);
  });

  it('says 0 errors, 0 warnings for the clean folder', () => {
    writeFileSync(join(dir, 'main.bicep'), "param name string\noutput greeting string = 'hello ${name}'\n");
    expect(summaryLine(compileInfra(cli!, dir))).toBe(
      `1 Bicep file compiled by Bicep CLI ${BICEP_VERSION}: 0 errors, 0 warnings`,
    );
  });
});
