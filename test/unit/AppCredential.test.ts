import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { createCredential } from '../../src/app/AppCredential';
import { loadConfig } from '../../src/config/AppConfig';
import { ConfigError } from '../../src/config/ConfigError';
import { createGraphClient } from '../../src/graph/createGraphClient';
import { createStorageClients } from '../../src/storage/StorageClients';

const MI = '11111111-2222-3333-4444-555555555555';

describe('the app credential', () => {
  it('in Azure is the managed identity, pinned by its client id', () => {
    const config = loadConfig({
      AzureWebJobsStorage__accountName: 'stphotos',
      AzureWebJobsStorage__clientId: MI,
      AZURE_CLIENT_ID: MI,
    });
    expect(config.credential).toEqual({ kind: 'managedIdentity', clientId: MI });
    expect(createCredential(config)).toBeInstanceOf(ManagedIdentityCredential);
  });

  it('takes the identity of AzureWebJobsStorage__clientId when AZURE_CLIENT_ID is not set', () => {
    expect(
      loadConfig({ AzureWebJobsStorage__accountName: 'stphotos', AzureWebJobsStorage__clientId: MI })
        .credential,
    ).toEqual({
      kind: 'managedIdentity',
      clientId: MI,
    });
  });

  it('refuses two identities: Graph and storage sign in as one', () => {
    expect(() =>
      loadConfig({
        AzureWebJobsStorage__accountName: 'stphotos',
        AzureWebJobsStorage__clientId: MI,
        AZURE_CLIENT_ID: 'another',
      }),
    ).toThrow(
      new ConfigError(
        'AzureWebJobsStorage__clientId',
        'must be the managed identity of AZURE_CLIENT_ID: one identity serves Graph and storage',
      ),
    );
  });

  it('is the app registration with a secret, and the developer sign-in with nothing set', () => {
    const registration = loadConfig({
      AZURE_TENANT_ID: 't',
      AZURE_CLIENT_ID: 'app',
      AZURE_CLIENT_SECRET: 's',
    });
    expect(registration.credential).toEqual({ kind: 'servicePrincipal' });
    expect(createCredential(registration)).toBeInstanceOf(DefaultAzureCredential);
    expect(loadConfig({}).credential).toEqual({ kind: 'developer' });
  });

  it('is the one credential every storage client and the Graph client ask for a token', async () => {
    const asked: string[] = [];
    const credential: TokenCredential = {
      getToken: (scopes) => {
        asked.push([scopes].flat().join(' '));
        return Promise.reject(new Error('the one credential was asked'));
      },
    };
    // Unreachable https endpoints: the token is asked for before any connection is made.
    const config = loadConfig({
      AzureWebJobsStorage__blobServiceUri: 'https://127.0.0.1:9/stphotos',
      AzureWebJobsStorage__queueServiceUri: 'https://127.0.0.1:9/stphotos',
      AzureWebJobsStorage__tableServiceUri: 'https://127.0.0.1:9/stphotos',
      AZURE_CLIENT_ID: MI,
    });
    const storage = createStorageClients(config, credential);
    const graph = createGraphClient(config, credential);
    const calls: Array<Promise<unknown>> = [
      storage.tables.users.getEntity('p', 'r'),
      storage.queues.photoJobs.getProperties(),
      storage.photoContainer.getProperties(),
      graph.api('/users').get(),
    ];
    for (const call of calls) await expect(call).rejects.toThrow('the one credential was asked');
    expect(asked.some((scope) => scope.startsWith('https://storage.azure.com'))).toBe(true);
    expect(asked).toContain('https://graph.microsoft.com/.default');
  });
});
