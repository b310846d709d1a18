import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { OutboundRequests } from '../helpers/OutboundRequests';
import { createServices, getServices, useServices } from '../../src/app/AppServices';
import { loadConfig } from '../../src/config/AppConfig';
import { ConfigError } from '../../src/config/ConfigError';
import { healthHandler } from '../../src/functions/health';
import { photoWorkerHandler } from '../../src/functions/photoWorker';
import { syncHandler } from '../../src/functions/sync';
import { HttpRequest } from '@azure/functions';

/**
 * A missing or malformed setting stops start-up with a message naming the key (docs/design.md,
 * "Configuration"): in the deployed app, every invocation fails with that message (health answers
 * 503 and logs it); the local host exits with it. Nothing is contacted first, and no secret value
 * is echoed.
 */

// Valid except where a case says otherwise; the storage account is a loopback port nobody listens on.
const VALID: Record<string, string> = {
  AzureWebJobsStorage:
    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=c2VjcmV0LWtleQ==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1',
  GRAPH_BASE_URL: 'https://127.0.0.1:9/v1.0',
  GRAPH_ACCESS_TOKEN: 'fixed-simulator-token-value',
};

const CASES: Array<[string, string, Record<string, string | undefined>]> = [
  // malformed
  ['a word for a number', 'PHOTO_RECHECK_DAYS', { PHOTO_RECHECK_DAYS: 'seven' }],
  ['a number with a unit', 'PHOTO_RECHECK_DAYS', { PHOTO_RECHECK_DAYS: '7 days' }],
  ['Infinity', 'PHOTO_RECHECK_DAYS', { PHOTO_RECHECK_DAYS: 'Infinity' }],
  ['a negative number', 'PHOTO_RECHECK_DAYS', { PHOTO_RECHECK_DAYS: '-1' }],
  ['a port out of range', 'PORT', { PORT: '65536' }],
  ['a queue name with capitals and spaces', 'PHOTO_QUEUE', { PHOTO_QUEUE: 'Photo Jobs' }],
  ['a container name with a path', 'PHOTO_CONTAINER', { PHOTO_CONTAINER: '../user-photos' }],
  ['a five-field cron', 'PHOTO_SYNC_SCHEDULE', { PHOTO_SYNC_SCHEDULE: '*/5 * * * *' }],
  ['Graph over http', 'GRAPH_BASE_URL', { GRAPH_BASE_URL: 'http://graph.microsoft.com/v1.0' }],
  ['Graph without a version', 'GRAPH_BASE_URL', { GRAPH_BASE_URL: 'https://graph.microsoft.com' }],
  ['not a connection string', 'AzureWebJobsStorage', { AzureWebJobsStorage: 'AccountKey=c2VjcmV0LWtleQ==' }],
  [
    'an account name in capitals',
    'AzureWebJobsStorage__accountName',
    { AzureWebJobsStorage: undefined, AzureWebJobsStorage__accountName: 'PhotoSync' },
  ],
  [
    'a service URI over http',
    'AzureWebJobsStorage__blobServiceUri',
    {
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__blobServiceUri: 'http://x.blob.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://x.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://x.table.core.windows.net',
    },
  ],
  // missing
  [
    'a client secret without a tenant',
    'AZURE_TENANT_ID',
    {
      GRAPH_ACCESS_TOKEN: undefined,
      GRAPH_BASE_URL: undefined,
      AZURE_CLIENT_ID: 'c',
      AZURE_CLIENT_SECRET: 'top-secret-value',
    },
  ],
  [
    'a certificate without a client id',
    'AZURE_CLIENT_ID',
    {
      GRAPH_ACCESS_TOKEN: undefined,
      GRAPH_BASE_URL: undefined,
      AZURE_TENANT_ID: 't',
      AZURE_CLIENT_CERTIFICATE_PATH: '/cert.pem',
    },
  ],
  ['a fixed token without GRAPH_BASE_URL', 'GRAPH_ACCESS_TOKEN', { GRAPH_BASE_URL: undefined }],
  [
    'identity-based storage without a blob service',
    'AzureWebJobsStorage__blobServiceUri',
    {
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__queueServiceUri: 'https://x.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://x.table.core.windows.net',
    },
  ],
  [
    'identity-based storage with only a credential',
    'AzureWebJobsStorage__blobServiceUri',
    {
      AzureWebJobsStorage: undefined,
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '00000000-0000-4000-8000-000000000001',
    },
  ],
];

function envFor(patch: Record<string, string | undefined>): Record<string, string | undefined> {
  return { ...VALID, ...patch };
}

/** The secret-bearing values of a case, which no message may repeat. */
function secretsOf(env: Record<string, string | undefined>): string[] {
  return [
    env.GRAPH_ACCESS_TOKEN,
    env.AZURE_CLIENT_SECRET,
    env.AzureWebJobsStorage && /AccountKey=([^;]+)/.exec(env.AzureWebJobsStorage)?.[1],
  ].filter((value): value is string => typeof value === 'string' && value !== '');
}

describe('the app refuses to start, naming the key', () => {
  const requests = new OutboundRequests();
  beforeAll(() => requests.start());
  afterAll(() => requests.stop());

  test.each(CASES)('%s → %s', async (_name, key, patch) => {
    requests.clear();
    const env = envFor(patch);
    const error = await createServices({ env }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as Error).message).toContain(key);
    for (const secret of secretsOf(env)) expect((error as Error).message).not.toContain(secret);
    // Refused before anything was contacted.
    expect(requests.requests).toEqual([]);
  });

  test('the valid baseline is accepted: each case fails for its own key, not for the rest', () => {
    expect(() => loadConfig(envFor({}))).not.toThrow();
  });
});

describe('in the deployed app, every invocation fails with the message', () => {
  const saved = { ...process.env };
  const logs: Array<{ level: string; message: string }> = [];
  const context = (): InvocationContext =>
    new InvocationContext({
      invocationId: 'config-test',
      functionName: 'test',
      logHandler: (level, ...args) => logs.push({ level, message: args.map(String).join(' ') }),
    });

  beforeAll(() => {
    Object.assign(process.env, VALID, { PHOTO_RECHECK_DAYS: 'seven' });
    useServices(undefined);
  });

  afterAll(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    useServices(undefined);
  });

  test('getServices() rejects with the ConfigError, and tries again on the next call', async () => {
    await expect(getServices()).rejects.toThrow(/PHOTO_RECHECK_DAYS/);
    await expect(getServices()).rejects.toBeInstanceOf(ConfigError);
  });

  test('a queue trigger fails with the key in its error (the host logs it and retries the message)', async () => {
    const job = {
      runId: '20261126T200412Z-abcdef',
      jobId: '1',
      userIds: ['00000000-0000-4000-8000-000000000001'],
    };
    await expect(photoWorkerHandler(job, context())).rejects.toThrow(
      /Configuration error in PHOTO_RECHECK_DAYS/,
    );
  });

  test('health answers 503 and logs the key; an API route answers 500 without details and logs the key', async () => {
    const health = await healthHandler(
      new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }),
      context(),
    );
    expect(health.status).toBe(503);
    expect(JSON.stringify(health.jsonBody)).not.toMatch(/PHOTO_RECHECK_DAYS|seven/);
    const sync = await syncHandler(
      new HttpRequest({
        method: 'POST',
        url: 'http://localhost/api/sync',
        headers: { 'Content-Type': 'application/json' },
      }),
      context(),
    );
    expect(sync.status).toBe(500);
    expect(sync.jsonBody).toEqual({ error: { code: 'internalError', message: expect.any(String) } });
    expect(logs.filter((line) => line.message.includes('PHOTO_RECHECK_DAYS'))).toHaveLength(2);
    expect(logs.some((line) => line.message.includes(VALID.GRAPH_ACCESS_TOKEN))).toBe(false);
  });
});

describe('npm start (the local host)', () => {
  const startScript = join(resolve(__dirname, '..', '..'), 'dist', 'dev', 'host', 'start.js');

  test.each([
    ['PHOTO_RECHECK_DAYS', { PHOTO_RECHECK_DAYS: 'seven' }],
    ['PHOTO_SYNC_SCHEDULE', { PHOTO_SYNC_SCHEDULE: 'every four hours' }],
    ['AzureWebJobsStorage', { AzureWebJobsStorage: 'AccountKey=c2VjcmV0LWtleQ==' }],
  ])(
    'exits 1 with a message naming %s, and no secret',
    async (key, patch) => {
      if (!existsSync(startScript))
        throw new Error(
          `${startScript} does not exist: run \`npm run build\` first (\`npm test\` builds before it runs jest).`,
        );
      const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...VALID, PORT: '0', ...patch };
      const child = spawn(process.execPath, [startScript], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await new Promise<number | null>((done) => child.once('exit', done));
      clearTimeout(timer);
      expect(code).toBe(1);
      expect(stderr).toContain(`Configuration error in ${key}`);
      for (const secret of ['c2VjcmV0LWtleQ==', VALID.GRAPH_ACCESS_TOKEN])
        expect(stderr + stdout).not.toContain(secret);
    },
    30_000,
  );
});
