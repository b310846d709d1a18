import { ConfigError, httpsUrl, read, type Env } from './ConfigError';

export const LOCAL_AZURITE_CONNECTION_STRING = 'UseDevelopmentStorage=true';

/** Identity-based storage connection: `AzureWebJobsStorage__*` settings, as the Functions host reads them. */
export interface IdentityStorageConfig {
  kind: 'identity';
  blobServiceUri: string;
  queueServiceUri: string;
  tableServiceUri: string;
  /** Client id of a user-assigned managed identity (`AzureWebJobsStorage__clientId`). */
  clientId?: string;
}

export interface ConnectionStringStorageConfig {
  kind: 'connectionString';
  connectionString: string;
}

export type StorageConfig = IdentityStorageConfig | ConnectionStringStorageConfig;

/**
 * `AzureWebJobsStorage` as the Functions host reads it: a connection string, identity-based
 * settings (`AzureWebJobsStorage__*`), or local Azurite when neither is set.
 */
export function readStorage(env: Env): StorageConfig {
  const connectionString = read(env, 'AzureWebJobsStorage');
  if (connectionString !== undefined) {
    if (
      connectionString !== LOCAL_AZURITE_CONNECTION_STRING &&
      !/AccountName=|BlobEndpoint=/i.test(connectionString)
    ) {
      throw new ConfigError(
        'AzureWebJobsStorage',
        'not a storage connection string (expected AccountName=… or BlobEndpoint=…)',
      );
    }
    return { kind: 'connectionString', connectionString };
  }
  const accountName = read(env, 'AzureWebJobsStorage__accountName');
  const serviceUri = (service: 'blob' | 'queue' | 'table'): string => {
    const key = `AzureWebJobsStorage__${service}ServiceUri`;
    const explicit = read(env, key);
    if (explicit !== undefined) return httpsUrl(key, explicit);
    if (accountName === undefined) {
      throw new ConfigError(key, 'set it, or AzureWebJobsStorage__accountName, or AzureWebJobsStorage');
    }
    if (!/^[a-z0-9]{3,24}$/.test(accountName)) {
      throw new ConfigError(
        'AzureWebJobsStorage__accountName',
        'a storage account name is 3-24 lowercase letters and digits',
      );
    }
    return `https://${accountName}.${service}.core.windows.net`;
  };
  // Any `AzureWebJobsStorage__*` setting means identity-based storage: one missing piece is named,
  // never silently replaced by local Azurite.
  const identityBased = Object.keys(env).some(
    (key) => key.startsWith('AzureWebJobsStorage__') && read(env, key) !== undefined,
  );
  if (accountName === undefined && !identityBased) {
    return { kind: 'connectionString', connectionString: LOCAL_AZURITE_CONNECTION_STRING };
  }
  return {
    kind: 'identity',
    blobServiceUri: serviceUri('blob'),
    queueServiceUri: serviceUri('queue'),
    tableServiceUri: serviceUri('table'),
    clientId: read(env, 'AzureWebJobsStorage__clientId'),
  };
}
