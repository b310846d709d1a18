import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { AppConfig } from '../config/AppConfig';
import { queueNames, TABLES } from './StorageNames';

export type TableName = keyof typeof TABLES;
type QueueRole = keyof ReturnType<typeof queueNames>;

/** The SDK clients for every table, queue and the photo container, from `AzureWebJobsStorage`. */
export interface StorageClients {
  tables: Record<TableName, TableClient>;
  queues: Record<QueueRole, QueueClient>;
  photoContainer: ContainerClient;
}

function mapValues<K extends string, V, W>(record: Record<K, V>, map: (value: V) => W): Record<K, W> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value as V)])) as Record<
    K,
    W
  >;
}

/** The queue service behind `AzureWebJobsStorage`, as the queue triggers see it. */
export function createQueueServiceClient(config: AppConfig, credential: TokenCredential): QueueServiceClient {
  const storage = config.storage;
  return storage.kind === 'connectionString'
    ? QueueServiceClient.fromConnectionString(storage.connectionString)
    : new QueueServiceClient(storage.queueServiceUri, credential);
}

/** Identity-based storage signs in with `credential`, the app's one credential (src/app/AppCredential.ts). */
export function createStorageClients(config: AppConfig, credential: TokenCredential): StorageClients {
  const names = queueNames(config.photoQueue);
  const storage = config.storage;
  const queueService = createQueueServiceClient(config, credential);
  if (storage.kind === 'connectionString') {
    // Azurite speaks plain http; real accounts' connection strings say https.
    const allowInsecureConnection = /UseDevelopmentStorage=true|http:\/\//i.test(storage.connectionString);
    return {
      tables: mapValues(TABLES, (table) =>
        TableClient.fromConnectionString(storage.connectionString, table, { allowInsecureConnection }),
      ),
      queues: mapValues(names, (queue) => queueService.getQueueClient(queue)),
      photoContainer: BlobServiceClient.fromConnectionString(storage.connectionString).getContainerClient(
        config.photoContainer,
      ),
    };
  }
  return {
    tables: mapValues(TABLES, (table) => new TableClient(storage.tableServiceUri, table, credential)),
    queues: mapValues(names, (queue) => queueService.getQueueClient(queue)),
    photoContainer: new BlobServiceClient(storage.blobServiceUri, credential).getContainerClient(
      config.photoContainer,
    ),
  };
}

/**
 * Creates what does not exist yet. Infra creates the same in Azure; locally this is the only
 * place. The photo container is private: created with no public access level.
 */
export async function ensureStorage(clients: StorageClients): Promise<void> {
  await Promise.all([
    ...Object.values(clients.tables).map((table) => table.createTable()),
    ...Object.values(clients.queues).map((queue) => queue.createIfNotExists()),
    clients.photoContainer.createIfNotExists(),
  ]);
}
