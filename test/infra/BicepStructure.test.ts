import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { objectEntries, parseBicep, resources } from '../../dev/infra/BicepFile';
import { checkInfraStructure, formatProblem } from '../../dev/infra/BicepStructure';

let infraDir: string;

beforeEach(() => {
  infraDir = mkdtempSync(join(tmpdir(), 'bicep-structure-'));
});

afterEach(() => {
  rmSync(infraDir, { recursive: true, force: true });
});

function write(files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(infraDir, path)), { recursive: true });
    writeFileSync(join(infraDir, path), content);
  }
}

const parameters = (names: string[]): string =>
  JSON.stringify({
    parameters: Object.fromEntries(names.map((name) => [name, { value: `\${${name.toUpperCase()}}` }])),
  });

function problems(): string[] {
  return checkInfraStructure(infraDir).map(formatProblem);
}

describe('checkInfraStructure', () => {
  it('accepts a sound template, braces inside strings, interpolations and comments included', () => {
    write({
      'main.bicep': [
        'param name string',
        "param suffix string = '}'",
        '// { an unbalanced comment',
        '/* and ( another',
        '*/',
        "var label = '${name}-{${toLower(suffix)}}'",
        "module site 'app/site.bicep' = {",
        "  name: 'site'",
        '  params: {',
        '    label: label',
        '  }',
        '}',
      ].join('\n'),
      'app/site.bicep': "param label string\nparam size int = 1\noutput text string = '${label}${size}'\n",
      'main.parameters.json': parameters(['name']),
    });
    expect(problems()).toEqual([]);
  });

  it('reports an unbalanced brace with its line', () => {
    write({
      'main.bicep': 'param name string\nvar x = {\n  a: [1, 2}\n',
      'main.parameters.json': parameters(['name']),
    });
    expect(problems()).toEqual(["infra/main.bicep:3: '}' closes the '[' of line 3"]);
  });

  it('reports a string that never ends', () => {
    write({ 'main.bicep': "param name string = 'open\n", 'main.parameters.json': parameters([]) });
    expect(problems()).toEqual(['infra/main.bicep:1: a string does not end on its line']);
  });

  it('reports a module path that does not exist, and leaves registry modules to the compiler', () => {
    write({
      'main.bicep':
        "module a 'app/missing.bicep' = {\n  name: 'a'\n}\nmodule b 'br/public:avm/res/web/site:0.15.1' = {\n  name: 'b'\n}\n",
      'main.parameters.json': parameters([]),
    });
    expect(problems()).toEqual(["infra/main.bicep:1: module a: 'app/missing.bicep' does not exist"]);
  });

  it('reports params a module does not declare, and required params not passed', () => {
    write({
      'main.bicep': "module a 'a.bicep' = {\n  name: 'a'\n  params: {\n    extra: 1\n  }\n}\n",
      'a.bicep': 'param needed string\n',
      'main.parameters.json': parameters([]),
    });
    expect(problems()).toEqual([
      "infra/main.bicep:1: module a: required param 'needed' of 'a.bicep' is not passed",
      "infra/main.bicep:4: module a: 'a.bicep' declares no param 'extra'",
    ]);
  });

  it('checks main.parameters.json against the params of main.bicep, both ways', () => {
    write({
      'main.bicep': "param location string\nparam sku string = 'S1'\n",
      'main.parameters.json': parameters(['sku', 'typo']),
    });
    expect(problems()).toEqual([
      "infra/main.bicep:1: param 'location' has no default and main.parameters.json does not give it",
      "infra/main.parameters.json: parameter 'typo' is not declared in main.bicep",
    ]);
  });

  it('reports an extension alias that no bicepconfig.json defines, and a loaded file that is missing', () => {
    write({
      'main.bicep': "extension microsoftGraphV1\nvar names = loadJsonContent('names.json')\n",
      'main.parameters.json': parameters([]),
    });
    expect(problems()).toEqual([
      'infra/main.bicep:1: extension \'microsoftGraphV1\' is not defined under "extensions" in a bicepconfig.json',
      "infra/main.bicep:2: 'names.json' does not exist",
    ]);
    write({
      'bicepconfig.json': JSON.stringify({ extensions: { microsoftGraphV1: 'br:example' } }),
      'names.json': '{}',
    });
    expect(problems()).toEqual([]);
  });
});

describe('objectEntries', () => {
  it('reads the keys of one level, and not the colon of a conditional or of a nested object', () => {
    const file = parseBicep(
      'x.bicep',
      [
        "resource app 'Microsoft.Web/sites/config@2023-12-01' = {",
        "  name: 'appsettings'",
        '  properties: {',
        "    PLAIN: 'a'",
        "    CONDITIONAL: flag ? 'b' : 'c'",
        "    'quoted-key': {",
        '      inner: 1',
        '    }',
        '  }',
        '}',
      ].join('\n'),
    );
    const [app] = resources(file);
    const properties = objectEntries(file, app.bodyOpen).find((entry) => entry.key === 'properties')!;
    expect(objectEntries(file, properties.valueStart).map((entry) => [entry.key, entry.valueText])).toEqual([
      ['PLAIN', "'a'"],
      ['CONDITIONAL', "flag ? 'b' : 'c'"],
      ['quoted-key', '{\n      inner: 1\n    }'],
    ]);
  });
});
