import { loadConfig } from '../../src/config/AppConfig';
import { ConfigError } from '../../src/config/ConfigError';

test('defaults: local Azurite, Graph v1.0, every 4 hours, 7 days', () => {
  const config = loadConfig({});
  expect(config).toMatchObject({
    storage: { kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' },
    graphBaseUrl: 'https://graph.microsoft.com/v1.0',
    syncSchedule: '0 0 */4 * * *',
    recheckDays: 7,
    photoQueue: 'photo-sync-jobs',
    photoContainer: 'user-photos',
    port: 7071,
    historyDays: 90,
  });
});

test('identity-based storage from AzureWebJobsStorage__accountName', () => {
  const config = loadConfig({
    AzureWebJobsStorage__accountName: 'photosync01',
    AzureWebJobsStorage__clientId: 'abc',
  });
  expect(config.storage).toEqual({
    kind: 'identity',
    blobServiceUri: 'https://photosync01.blob.core.windows.net',
    queueServiceUri: 'https://photosync01.queue.core.windows.net',
    tableServiceUri: 'https://photosync01.table.core.windows.net',
    clientId: 'abc',
  });
});

test.each([
  ['GRAPH_BASE_URL', { GRAPH_BASE_URL: 'http://localhost:1234/v1.0' }],
  ['GRAPH_BASE_URL', { GRAPH_BASE_URL: 'https://example.com' }],
  ['GRAPH_BASE_URL', { GRAPH_BASE_URL: 'not a url' }],
  ['PHOTO_RECHECK_DAYS', { PHOTO_RECHECK_DAYS: 'seven' }],
  ['PHOTO_RECHECK_DAYS', { PHOTO_RECHECK_DAYS: '0' }],
  ['PHOTO_HISTORY_DAYS', { PHOTO_HISTORY_DAYS: '2.5' }],
  ['PHOTO_HISTORY_DAYS', { PHOTO_HISTORY_DAYS: '0' }],
  ['PORT', { PORT: '70000' }],
  ['PHOTO_QUEUE', { PHOTO_QUEUE: 'Photo_Jobs' }],
  ['PHOTO_CONTAINER', { PHOTO_CONTAINER: 'x' }],
  ['PHOTO_SYNC_SCHEDULE', { PHOTO_SYNC_SCHEDULE: '0 */4 * * *' }],
  ['AzureWebJobsStorage', { AzureWebJobsStorage: 'garbage' }],
  ['AzureWebJobsStorage__accountName', { AzureWebJobsStorage__accountName: 'Bad_Name' }],
  ['GRAPH_ACCESS_TOKEN', { GRAPH_ACCESS_TOKEN: 'abc' }],
  ['AZURE_TENANT_ID', { AZURE_CLIENT_SECRET: 's', AZURE_CLIENT_ID: 'c' }],
])('a malformed %s stops start-up naming the key', (key, env) => {
  let error: unknown;
  try {
    loadConfig(env);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).key).toBe(key);
  expect((error as Error).message).toContain(key);
  // The value of a secret-bearing setting is never echoed back.
  if (key === 'GRAPH_ACCESS_TOKEN' || key === 'AzureWebJobsStorage')
    expect((error as Error).message).not.toContain(Object.values(env)[0]);
});
