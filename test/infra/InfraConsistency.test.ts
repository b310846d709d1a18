import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBicep } from '../../dev/infra/BicepCli';
import {
  resourcesOfType,
  snapshotInfra,
  SNAPSHOT_TENANT,
  type InfraSnapshot,
} from '../../dev/infra/InfraSnapshot';
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
import { bicepForTests } from '../helpers/BicepForTests';

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
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID:
    'App Service authentication proves the app registration with this managed identity (no secret)',
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

/** Every `%KEY%` a trigger binds to. */
const boundKeys = new Set(
  sourceFiles(join(root, 'src')).flatMap((path) =>
    [...readFileSync(path, 'utf8').matchAll(/'[^'\n]*%(\w+)%[^'\n]*'/g)].map((match) => match[1]),
  ),
);

const REQUIRED_PARAMS = { environmentName: 'ci', location: 'westeurope' };

/** The app settings of the function app, as a deployment with these parameters would write them. */
function appSettingsOf(snapshot: InfraSnapshot): Record<string, unknown> {
  const configs = resourcesOfType(snapshot, 'Microsoft.Web/sites/config').filter((resource) =>
    resource.name.endsWith('/appsettings'),
  );
  expect(configs).toHaveLength(1);
  return configs[0].properties ?? {};
}

/** The last segment of a child resource's name, e.g. the queue of `st…/default/photo-sync-jobs`. */
const leafNames = (snapshot: InfraSnapshot, type: string): string[] =>
  resourcesOfType(snapshot, type).map((resource) => resource.name.split('/').pop() ?? '');

const cli = bicepForTests();
const withBicep = cli === undefined ? describe.skip : describe;

withBicep('infra as the Bicep CLI compiles it (bicep snapshot of main.bicep)', () => {
  let defaults: InfraSnapshot;
  let settings: Record<string, unknown>;

  beforeAll(() => {
    defaults = snapshotInfra(cli!, join(infraDir, 'main.bicep'), REQUIRED_PARAMS);
    settings = appSettingsOf(defaults);
  });

  describe('configuration keys: code and infra', () => {
    it.each(CONFIG_KEYS.filter((key) => OMITTED_IN_AZURE[key] === undefined))('infra sets %s', (key) => {
      expect(Object.keys(settings)).toContain(key);
    });

    it.each(Object.keys(OMITTED_IN_AZURE))('infra leaves %s unset', (key) => {
      expect(Object.keys(settings)).not.toContain(key);
    });

    it('sets every %KEY% a trigger binds to', () => {
      expect(boundKeys.size).toBeGreaterThan(0);
      for (const key of boundKeys) expect(Object.keys(settings)).toContain(key);
    });

    it('connects the host and the app to storage with the user-assigned identity', () => {
      const account = resourcesOfType(defaults, 'Microsoft.Storage/storageAccounts')[0];
      expect(settings.AzureWebJobsStorage__accountName).toBe(account.name);
      expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
      expect(settings.AzureWebJobsStorage__clientId).toMatch(
        /userAssignedIdentities\/id-\w+', '[\d-]+'\)\.clientId\]$/,
      );
      // The same identity signs in to Graph.
      expect(settings.AZURE_CLIENT_ID).toBe(settings.AzureWebJobsStorage__clientId);
      expect(settings.AZURE_TENANT_ID).toBe(SNAPSHOT_TENANT);
    });

    it('sets nothing that neither the code nor the Functions host reads', () => {
      const unread = Object.keys(settings).filter((key) => {
        if ((CONFIG_KEYS as readonly string[]).includes(key) || HOST_SETTINGS[key] !== undefined)
          return false;
        const property = storageConnectionProperty(key);
        return property === undefined || !STORAGE_CONNECTION_PROPERTIES.includes(property);
      });
      expect(unread).toEqual([]);
    });

    it('deploys the code defaults unless the deployer overrides them', () => {
      expect(settings.GRAPH_BASE_URL).toBe(DEFAULT_GRAPH_BASE_URL);
      expect(settings.PHOTO_SYNC_SCHEDULE).toBe(DEFAULT_SYNC_SCHEDULE);
      expect(settings.PHOTO_QUEUE).toBe(DEFAULT_PHOTO_QUEUE);
      expect(settings.PHOTO_CONTAINER).toBe(DEFAULT_PHOTO_CONTAINER);
    });

    it('loads in the app as it is deployed, once Azure has filled in the identity', () => {
      const deployed = Object.fromEntries(
        Object.entries(settings).map(([key, value]) => [
          key,
          typeof value === 'string' && value.startsWith('[')
            ? '11111111-2222-3333-4444-555555555555'
            : String(value),
        ]),
      );
      const config = loadConfig(deployed);
      expect(config.storage).toMatchObject({
        kind: 'identity',
        clientId: '11111111-2222-3333-4444-555555555555',
      });
      expect(config.graphAuth).toEqual({ kind: 'credential' });
      expect(config.credential).toEqual({
        kind: 'managedIdentity',
        clientId: '11111111-2222-3333-4444-555555555555',
      });
    });
  });

  describe('storage the code uses: created by infra, reachable by the identity', () => {
    it('creates exactly the queues the app derives from PHOTO_QUEUE, for any queue name', () => {
      expect(new Set(leafNames(defaults, 'Microsoft.Storage/storageAccounts/queueServices/queues'))).toEqual(
        new Set(Object.values(queueNames(DEFAULT_PHOTO_QUEUE))),
      );
      const custom = snapshotInfra(cli!, join(infraDir, 'main.bicep'), {
        ...REQUIRED_PARAMS,
        photoQueueName: 'faces',
        photoContainerName: 'faces-blobs',
      });
      expect(new Set(leafNames(custom, 'Microsoft.Storage/storageAccounts/queueServices/queues'))).toEqual(
        new Set(Object.values(queueNames('faces'))),
      );
      expect(leafNames(custom, 'Microsoft.Storage/storageAccounts/blobServices/containers')).toContain(
        'faces-blobs',
      );
      expect(appSettingsOf(custom)).toMatchObject({ PHOTO_QUEUE: 'faces', PHOTO_CONTAINER: 'faces-blobs' });
    });

    it('creates exactly the tables of the app', () => {
      expect(new Set(leafNames(defaults, 'Microsoft.Storage/storageAccounts/tableServices/tables'))).toEqual(
        new Set(Object.values(TABLES)),
      );
    });

    it('keeps every photo container private', () => {
      for (const container of resourcesOfType(
        defaults,
        'Microsoft.Storage/storageAccounts/blobServices/containers',
      ))
        expect(container.properties?.publicAccess).toBe('None');
      expect(resourcesOfType(defaults, 'Microsoft.Storage/storageAccounts')[0].properties).toMatchObject({
        allowBlobPublicAccess: false,
        allowSharedKeyAccess: false,
      });
    });

    const used = new Set([...servicesTheCodeUses(), ...HOST_STORAGE_SERVICES]);
    const rolesOf = (service: StorageService): string[] => Object.keys(STORAGE_SERVICES[service].roles);
    /** Role assignments as (role GUID, type of the resource they are scoped to). */
    const assignments = (): Array<{ role: string; scopeType: string }> =>
      resourcesOfType(defaults, 'Microsoft.Authorization/roleAssignments').map((assignment) => {
        const role =
          String(assignment.properties?.roleDefinitionId ?? '')
            .split('/')
            .pop() ?? '';
        const scope = /extensionResourceId\('([^']+)'/.exec(assignment.id)?.[1] ?? '';
        const scopeType = /\/providers\/([^/]+\/[^/]+)\/[^/]+$/.exec(scope)?.[1] ?? scope;
        return { role: role.toLowerCase(), scopeType };
      });

    it('finds the storage SDK imports of the code', () => {
      // Guards the scan: a scan that finds nothing would leave only the host's needs to check.
      expect(servicesTheCodeUses().size).toBeGreaterThan(0);
    });

    it.each([...used])('grants a %s data role on the storage account', (service) => {
      const granted = assignments().filter((assignment) => rolesOf(service).includes(assignment.role));
      expect(granted.length).toBeGreaterThan(0);
      for (const assignment of granted)
        expect(assignment.scopeType).toBe('Microsoft.Storage/storageAccounts');
    });

    it('grants no role beyond those: no unused storage service, no broad role', () => {
      const allowed = new Set([...[...used].flatMap(rolesOf), ...Object.keys(OTHER_ALLOWED_ROLES)]);
      expect(assignments().filter((assignment) => !allowed.has(assignment.role))).toEqual([]);
    });
  });

  describe('App Service authentication', () => {
    const CLIENT_ID = '0c0ffee0-0000-4000-8000-00000000abcd';
    let signIn: InfraSnapshot;

    beforeAll(() => {
      signIn = snapshotInfra(cli!, join(infraDir, 'main.bicep'), {
        ...REQUIRED_PARAMS,
        authClientId: CLIENT_ID,
      });
    });

    it('requires an Entra ID sign-in with the app registration, except for /api/health', () => {
      const [auth] = resourcesOfType(signIn, 'Microsoft.Web/sites/config').filter((resource) =>
        resource.name.endsWith('/authsettingsV2'),
      );
      // platform.enabled is what makes the platform set WEBSITE_AUTH_ENABLED, which the app reads.
      expect(auth.properties).toMatchObject({
        platform: { enabled: true },
        globalValidation: {
          requireAuthentication: true,
          unauthenticatedClientAction: 'RedirectToLoginPage',
          excludedPaths: ['/api/health'],
        },
        httpSettings: { requireHttps: true },
        identityProviders: {
          azureActiveDirectory: {
            enabled: true,
            registration: {
              clientId: CLIENT_ID,
              // The cloud's own sign-in endpoint (Azure fills it in), then the tenant.
              openIdIssuer: `[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, '${SNAPSHOT_TENANT}')]`,
            },
            validation: { allowedAudiences: [`api://${CLIENT_ID}`, CLIENT_ID] },
          },
        },
      });
    });

    it('proves the registration with the managed identity: the setting it names holds the identity, no secret', () => {
      const [auth] = resourcesOfType(signIn, 'Microsoft.Web/sites/config').filter((resource) =>
        resource.name.endsWith('/authsettingsV2'),
      );
      const provider = (
        auth.properties as {
          identityProviders: { azureActiveDirectory: { registration: { clientSecretSettingName: string } } };
        }
      ).identityProviders.azureActiveDirectory.registration;
      expect(appSettingsOf(signIn)[provider.clientSecretSettingName]).toBe(
        appSettingsOf(signIn).AZURE_CLIENT_ID,
      );
      expect(Object.keys(provider)).not.toContain('clientSecret');
    });

    it('is absent without an app registration, so the app fails closed', () => {
      expect(
        resourcesOfType(defaults, 'Microsoft.Web/sites/config').filter((resource) =>
          resource.name.endsWith('/authsettingsV2'),
        ),
      ).toEqual([]);
      expect(Object.keys(settings)).not.toContain('OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID');
    });
  });

  describe('vnetEnabled', () => {
    const storageServices = ['blob', 'queue', 'table'];

    it('off by default: public endpoints, no virtual network', () => {
      expect(resourcesOfType(defaults, 'Microsoft.Network/virtualNetworks')).toEqual([]);
      expect(resourcesOfType(defaults, 'Microsoft.Network/privateEndpoints')).toEqual([]);
      expect(resourcesOfType(defaults, 'Microsoft.Storage/storageAccounts')[0].properties).toMatchObject({
        publicNetworkAccess: 'Enabled',
      });
    });

    it('on: the app in a delegated subnet, storage reachable only through a private endpoint per service used', () => {
      const private_ = snapshotInfra(cli!, join(infraDir, 'main.bicep'), {
        ...REQUIRED_PARAMS,
        vnetEnabled: true,
      });
      const [vnet] = resourcesOfType(private_, 'Microsoft.Network/virtualNetworks');
      const subnets = (
        vnet.properties as {
          subnets: Array<{
            name: string;
            properties: { delegations?: Array<{ properties: { serviceName: string } }> };
          }>;
        }
      ).subnets;
      const appSubnet = subnets.find((subnet) => subnet.properties.delegations?.length);
      expect(appSubnet?.properties.delegations?.[0].properties.serviceName).toBe(
        'Microsoft.App/environments',
      );
      const [site] = resourcesOfType(private_, 'Microsoft.Web/sites');
      expect(String(site.properties?.virtualNetworkSubnetId)).toContain(`/subnets/${appSubnet!.name}`);
      expect(resourcesOfType(private_, 'Microsoft.Storage/storageAccounts')[0].properties).toMatchObject({
        publicNetworkAccess: 'Disabled',
        networkAcls: { defaultAction: 'Deny' },
      });
      // Every storage service the host and the code use, and only those.
      expect([...new Set([...servicesTheCodeUses(), ...HOST_STORAGE_SERVICES])].sort()).toEqual(
        storageServices,
      );
      const endpoints = resourcesOfType(private_, 'Microsoft.Network/privateEndpoints');
      const groups = endpoints.flatMap((endpoint) =>
        (
          endpoint.properties as {
            privateLinkServiceConnections: Array<{ properties: { groupIds: string[] } }>;
          }
        ).privateLinkServiceConnections.flatMap((connection) => connection.properties.groupIds),
      );
      expect(groups.sort()).toEqual(storageServices);
      expect(leafNames(private_, 'Microsoft.Network/privateDnsZones').sort()).toEqual(
        // privatelink.<service>.<the cloud's storage suffix>, which Azure fills in.
        storageServices.map(
          (service) => `[format('privatelink.{0}.{1}', '${service}', environment().suffixes.storage)]`,
        ),
      );
      expect(resourcesOfType(private_, 'Microsoft.Network/privateDnsZones/virtualNetworkLinks')).toHaveLength(
        3,
      );
    });
  });

  it('main.parameters.json passes exactly parameters main.bicep declares, and every one it requires', () => {
    const build = runBicep(cli!, ['build', join(infraDir, 'main.bicep'), '--stdout']);
    expect(build.status).toBe(0);
    const template = JSON.parse(build.stdout) as {
      parameters: Record<string, { defaultValue?: unknown }>;
    };
    const passed = Object.keys(
      (JSON.parse(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8')) as { parameters: object })
        .parameters,
    );
    const required = Object.entries(template.parameters)
      .filter(([, parameter]) => parameter.defaultValue === undefined)
      .map(([name]) => name);
    expect(passed.filter((name) => template.parameters[name] === undefined)).toEqual([]);
    expect(required.filter((name) => !passed.includes(name))).toEqual([]);
  });
});

describe('local.settings.json.example', () => {
  it.each([...CONFIG_KEYS])('has %s', (key) => {
    expect(localKeys).toContain(key);
  });

  it('sets every %KEY% a trigger binds to', () => {
    for (const key of boundKeys) expect(localKeys).toContain(key);
  });

  it('has nothing that neither the code nor Core Tools reads', () => {
    const unread = localKeys.filter(
      (key) => !(CONFIG_KEYS as readonly string[]).includes(key) && LOCAL_HOST_SETTINGS[key] === undefined,
    );
    expect(unread).toEqual([]);
  });

  it('loads as it is: local storage, the code defaults', () => {
    const config = loadConfig(localSettings.Values);
    expect(config.storage).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
    expect(config.syncSchedule).toBe(DEFAULT_SYNC_SCHEDULE);
    expect(config.photoQueue).toBe(DEFAULT_PHOTO_QUEUE);
    expect(config.photoContainer).toBe(DEFAULT_PHOTO_CONTAINER);
  });
});
