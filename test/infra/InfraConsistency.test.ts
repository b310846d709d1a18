import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { params, variables, type BicepFile } from '../../dev/infra/BicepFile';
import { checkInfraStructure, formatProblem, readBicepFiles } from '../../dev/infra/BicepStructure';
import { appSettings, roleAssignments } from '../../dev/infra/InfraDeclarations';
import {
  CONFIG_KEYS,
  DEFAULT_GRAPH_BASE_URL,
  DEFAULT_PHOTO_CONTAINER,
  DEFAULT_PHOTO_QUEUE,
  DEFAULT_SYNC_SCHEDULE,
  loadConfig,
  type ConfigKey,
} from '../../src/config/AppConfig';
import { queueNames, TABLES } from '../../src/storage/StorageNames';

const root = join(__dirname, '..', '..');
const infraDir = join(root, 'infra');

/** Keys the code reads that Azure leaves unset on purpose: there, the managed identity replaces every credential. */
const OMITTED_IN_AZURE: Partial<Record<ConfigKey, string>> = {
  AzureWebJobsStorage:
    'a connection string carries the account key; Azure uses the identity-based AzureWebJobsStorage__* form',
  AZURE_CLIENT_SECRET: 'a client secret; the managed identity needs none',
  AZURE_CLIENT_CERTIFICATE_PATH: 'a certificate credential; the managed identity needs none',
  GRAPH_ACCESS_TOKEN: 'a fixed bearer token, for simulators only',
  PORT: "the local host's HTTP port; in Azure the Functions host serves HTTP",
};

/**
 * Properties of the identity-based `AzureWebJobsStorage__*` connection: the code reads the
 * account and the client id (or service URIs), the Functions host reads them all.
 */
const STORAGE_CONNECTION_PROPERTIES = [
  'accountName',
  'blobServiceUri',
  'queueServiceUri',
  'tableServiceUri',
  'credential',
  'clientId',
];

/** Settings infra sets for the Functions host, which the app's code does not read. */
const HOST_SETTINGS: Record<string, string> = {
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'where the host sends telemetry',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING:
    'the host signs its telemetry in with the identity (local auth is off)',
};

/** Settings in local.settings.json for Core Tools, which the app's code does not read. */
const LOCAL_HOST_SETTINGS: Record<string, string> = {
  FUNCTIONS_WORKER_RUNTIME:
    'Core Tools picks the Node worker by it; Flex Consumption takes functionAppConfig.runtime instead',
};

/** Storage services by SDK package, and the built-in roles that grant their data plane. */
const STORAGE_SERVICES = {
  blob: {
    sdk: '@azure/storage-blob',
    roles: {
      'b7e6dc6d-f1e8-4753-8033-0f276bb0955b': 'Storage Blob Data Owner',
      'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
    },
  },
  queue: {
    sdk: '@azure/storage-queue',
    roles: { '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor' },
  },
  table: {
    sdk: '@azure/data-tables',
    roles: { '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor' },
  },
} as const;
type StorageService = keyof typeof STORAGE_SERVICES;

/**
 * The Functions host's own use of AzureWebJobsStorage: blobs for locks, keys and the Flex
 * Consumption package; queues for the queue triggers.
 */
const HOST_STORAGE_SERVICES: StorageService[] = ['blob', 'queue'];

const OTHER_ALLOWED_ROLES: Record<string, string> = {
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
};

const { files } = readBicepFiles(infraDir);
const bicepFiles = [...files.values()];
const settings = appSettings(bicepFiles);
const settingKeys = new Set(settings.map((setting) => setting.key));
const settingValue = (key: string): string | undefined =>
  settings.find((setting) => setting.key === key)?.value;

const localSettings = JSON.parse(readFileSync(join(root, 'local.settings.json.example'), 'utf8')) as {
  Values: Record<string, string>;
};
const localKeys = Object.keys(localSettings.Values);

function storageConnectionProperty(key: string): string | undefined {
  const match = /^AzureWebJobsStorage__(.+)$/.exec(key);
  return match?.[1];
}

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Storage services the deployed code touches: those whose SDK a file under src/ imports. */
function servicesTheCodeUses(): Set<StorageService> {
  const sources = sourceFiles(join(root, 'src')).map((path) => readFileSync(path, 'utf8'));
  const services = Object.keys(STORAGE_SERVICES) as StorageService[];
  return new Set(
    services.filter((service) =>
      sources.some(
        (source) =>
          source.includes(`'${STORAGE_SERVICES[service].sdk}'`) ||
          source.includes(`"${STORAGE_SERVICES[service].sdk}"`),
      ),
    ),
  );
}

function variable(name: string): string {
  const found = bicepFiles
    .flatMap((file: BicepFile) => variables(file))
    .find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no Bicep file under infra/ declares var ${name}`);
  return found.valueText;
}

/** Items of a one-item-per-line array literal: `'text'` as its text, an identifier as `${name}`. */
function arrayItems(valueText: string): string[] {
  return valueText
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== '[' && line !== ']')
    .map((item) => (/^'.*'$/.test(item) ? item.slice(1, -1) : `\${${item}}`));
}

describe('infra Bicep structure', () => {
  it('parses, references only existing modules and files, and agrees with main.parameters.json', () => {
    expect(checkInfraStructure(infraDir).map(formatProblem)).toEqual([]);
  });
});

describe('configuration keys: code, infra and local.settings.json.example', () => {
  it('finds the app settings of the function app', () => {
    expect(settings.length).toBeGreaterThan(0);
  });

  it.each(CONFIG_KEYS.filter((key) => OMITTED_IN_AZURE[key] === undefined))('infra sets %s', (key) => {
    expect(settingKeys).toContain(key);
  });

  it.each(Object.keys(OMITTED_IN_AZURE))('infra leaves %s unset', (key) => {
    expect(settingKeys).not.toContain(key);
  });

  it('sets every %KEY% a trigger binds to, in infra and in local.settings.json.example', () => {
    const bound = new Set(
      sourceFiles(join(root, 'src')).flatMap((path) =>
        [...readFileSync(path, 'utf8').matchAll(/'[^'\n]*%(\w+)%[^'\n]*'/g)].map((match) => match[1]),
      ),
    );
    expect(bound.size).toBeGreaterThan(0);
    for (const key of bound) {
      expect(settingKeys).toContain(key);
      expect(localKeys).toContain(key);
    }
  });

  it('connects the host and the app to storage with the user-assigned identity', () => {
    expect(settingValue('AzureWebJobsStorage__accountName')).toBeDefined();
    expect(settingValue('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    expect(settingValue('AzureWebJobsStorage__clientId')).toBeDefined();
    // The same identity signs in to Graph through DefaultAzureCredential.
    expect(settingValue('AZURE_CLIENT_ID')).toBe(settingValue('AzureWebJobsStorage__clientId'));
  });

  it('sets nothing in infra that neither the code nor the Functions host reads', () => {
    const unread = [...settingKeys].filter((key) => {
      if ((CONFIG_KEYS as readonly string[]).includes(key) || HOST_SETTINGS[key] !== undefined) return false;
      const property = storageConnectionProperty(key);
      return property === undefined || !STORAGE_CONNECTION_PROPERTIES.includes(property);
    });
    expect(unread).toEqual([]);
  });

  it.each([...CONFIG_KEYS])('local.settings.json.example has %s', (key) => {
    expect(localKeys).toContain(key);
  });

  it('has nothing in local.settings.json.example that neither the code nor Core Tools reads', () => {
    const unread = localKeys.filter(
      (key) => !(CONFIG_KEYS as readonly string[]).includes(key) && LOCAL_HOST_SETTINGS[key] === undefined,
    );
    expect(unread).toEqual([]);
  });

  it('local.settings.json.example loads as it is: local storage, the code defaults', () => {
    const config = loadConfig(localSettings.Values);
    expect(config.storage).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
    expect(config.syncSchedule).toBe(DEFAULT_SYNC_SCHEDULE);
    expect(config.photoQueue).toBe(DEFAULT_PHOTO_QUEUE);
    expect(config.photoContainer).toBe(DEFAULT_PHOTO_CONTAINER);
  });

  it('deploys the code defaults unless the deployer overrides them', () => {
    const mainParams = params(files.get(join(infraDir, 'main.bicep'))!);
    const defaultOf = (name: string): string | undefined =>
      mainParams.find((param) => param.name === name)?.defaultText;
    expect(defaultOf('graphBaseUrl')).toBe(`'${DEFAULT_GRAPH_BASE_URL}'`);
    expect(defaultOf('photoSyncSchedule')).toBe(`'${DEFAULT_SYNC_SCHEDULE}'`);
    expect(defaultOf('photoQueueName')).toBe(`'${DEFAULT_PHOTO_QUEUE}'`);
    expect(defaultOf('photoContainerName')).toBe(`'${DEFAULT_PHOTO_CONTAINER}'`);
  });
});

describe('storage the code uses: created by infra, reachable by the identity', () => {
  it('creates exactly the queues the app derives from PHOTO_QUEUE', () => {
    expect(new Set(arrayItems(variable('queueNames')))).toEqual(
      new Set(Object.values(queueNames('${photoQueueName}'))),
    );
  });

  it('creates exactly the tables of the app', () => {
    expect(new Set(arrayItems(variable('tableNames')))).toEqual(new Set(Object.values(TABLES)));
  });

  const assignments = roleAssignments(bicepFiles);
  const rolesOf = (service: StorageService): string[] => Object.keys(STORAGE_SERVICES[service].roles);
  const used = new Set([...servicesTheCodeUses(), ...HOST_STORAGE_SERVICES]);

  it('finds the storage SDK imports of the code', () => {
    // Guards the scan: a scan that finds nothing would leave only the host's needs to check.
    expect(servicesTheCodeUses().size).toBeGreaterThan(0);
  });

  it.each([...used])('grants a %s data role on the storage account', (service) => {
    const granted = assignments.filter((assignment) =>
      assignment.roleDefinitionIds.some((id) => rolesOf(service).includes(id)),
    );
    expect(granted.length).toBeGreaterThan(0);
    for (const assignment of granted)
      expect(assignment.scopeType).toMatch(/^Microsoft\.Storage\/storageAccounts@/);
  });

  it('grants no role beyond those: no unused storage service, no broad role', () => {
    const allowed = new Set([...[...used].flatMap(rolesOf), ...Object.keys(OTHER_ALLOWED_ROLES)]);
    const extra = assignments.filter(
      (assignment) =>
        assignment.roleDefinitionIds.length !== 1 || !allowed.has(assignment.roleDefinitionIds[0]),
    );
    expect(extra.map((assignment) => `${assignment.file}:${assignment.line} ${assignment.symbol}`)).toEqual(
      [],
    );
  });
});

describe('deployment package', () => {
  const funcignore = readFileSync(join(root, '.funcignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

  it('keeps tests, the local host, the simulator and local settings out', () => {
    expect(funcignore).toEqual(expect.arrayContaining(['test/', 'dev/', 'local.settings.json']));
  });

  it('uploads what the remote build needs, and no local node_modules', () => {
    expect(funcignore).toContain('node_modules/');
    const azureYaml = readFileSync(join(root, 'azure.yaml'), 'utf8');
    expect(azureYaml).toMatch(/^\s+remoteBuild: true$/m);
    for (const needed of [
      'src',
      'host.json',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
    ]) {
      expect(
        funcignore.filter((pattern) => pattern.replace(/\/$/, '') === needed || pattern === '*.json'),
      ).toEqual([]);
    }
  });

  it('deploys an azd service of host function and language ts', () => {
    const azureYaml = readFileSync(join(root, 'azure.yaml'), 'utf8');
    expect(azureYaml).toMatch(/^\s+host: function$/m);
    expect(azureYaml).toMatch(/^\s+language: ts$/m);
  });

  it('has no deployed code that imports the excluded dev/ or test/ code', () => {
    const offending = sourceFiles(join(root, 'src')).filter((path) =>
      /from '(\.\.\/)+(dev|test)\//.test(readFileSync(path, 'utf8')),
    );
    expect(offending).toEqual([]);
  });
});
