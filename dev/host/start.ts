/**
 * `npm start`: the app on this machine without Azure Functions Core Tools. Starts Azurite (in
 * memory) unless storage is configured, a demo tenant unless a Graph credential or GRAPH_BASE_URL
 * is, then the app's own functions. Ctrl-C stops everything.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/AppConfig';
import { createServices, useServices } from '../../src/app/AppServices';
import { Azurite, freePort } from '../azurite/Azurite';
import { DemoTenant } from '../demo/DemoTenant';
import { trustCertificate } from '../simulator/TrustCertificate';
import { LocalHost } from './LocalHost';

const projectRoot = resolve(__dirname, '..', '..', '..');

/** Core Tools reads `local.settings.json` `Values` into the environment; so does this host. */
function localSettings(): Record<string, string> {
  const file = join(projectRoot, 'local.settings.json');
  if (!existsSync(file)) return {};
  const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  return Object.fromEntries(Object.entries(values).filter(([, value]) => typeof value === 'string' && value !== '')) as Record<string, string>;
}

async function portOrFree(preferred: number): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolveFree) => {
    const probe = createServer();
    probe.once('error', () => void freePort().then(resolveFree));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolveFree(preferred)));
  });
}

function numberEnv(env: Record<string, string | undefined>, key: string, fallback: number): number {
  const value = env[key] === undefined ? fallback : Number(env[key]);
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(key, `expected a number, got "${env[key]}"`);
  return value;
}

async function main(): Promise<void> {
  const env: Record<string, string | undefined> = { ...localSettings(), ...process.env };
  const write = (line: string): void => void process.stdout.write(`${line}\n`);
  const stops: Array<() => Promise<void>> = [];

  const storageConfigured = Boolean(env.AzureWebJobsStorage || env.AzureWebJobsStorage__accountName || env.AzureWebJobsStorage__blobServiceUri);
  if (!storageConfigured) {
    const ports = { blob: await portOrFree(10000), queue: await portOrFree(10001), table: await portOrFree(10002) };
    const azurite = await Azurite.start({ inMemory: true, ports });
    stops.push(() => azurite.stop());
    env.AzureWebJobsStorage = azurite.connectionString;
    write(`Azurite (in memory): blob ${ports.blob}, queue ${ports.queue}, table ${ports.table}`);
  }

  let demo: DemoTenant | undefined;
  const graphConfigured = Boolean(env.GRAPH_BASE_URL || env.GRAPH_ACCESS_TOKEN || env.AZURE_CLIENT_ID || env.AZURE_CLIENT_SECRET || env.AZURE_CLIENT_CERTIFICATE_PATH);
  if (!graphConfigured) {
    demo = await DemoTenant.start({ users: numberEnv(env, 'DEMO_USERS', 300), changeRate: numberEnv(env, 'DEMO_CHANGE_RATE', 0.05) });
    stops.push(() => demo!.stop());
    trustCertificate(demo.sim.caCertPem);
    env.GRAPH_BASE_URL = demo.sim.baseUrl;
    env.GRAPH_ACCESS_TOKEN = demo.sim.token;
    write(`Demo tenant: ${demo.sim.tenant.count} users, Graph simulator at ${demo.sim.baseUrl}`);
  }

  const config = loadConfig(env);
  useServices(createServices({ env }));
  const host = await LocalHost.start({
    projectRoot,
    config,
    appSettings: { ...env, PHOTO_QUEUE: config.photoQueue, PHOTO_SYNC_SCHEDULE: config.syncSchedule },
    port: config.port,
    write,
    verbose: env.LOG_LEVEL === 'debug',
    onLog: (_level, message) => {
      if (demo !== undefined && message.startsWith('{"event":"runStarted"')) demo.onRunStarted();
    },
  });
  stops.unshift(() => host.stop());

  write('');
  for (const [key, value] of Object.entries(describeConfig(config))) write(`  ${key}: ${value}`);
  write('');
  for (const line of host.describe()) write(line);
  write('');
  write(`Ready. Try: curl -X PATCH ${host.url}/api/settings -H 'Content-Type: application/json' -d '{"userPhotos":true,"syncUserPhotos":true}'`);
  write(`           curl -X POST ${host.url}/api/sync   then   curl ${host.url}/api/runs`);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    write(`${signal}: stopping…`);
    for (const stop of stops) await stop().catch((error: unknown) => write(`while stopping: ${error instanceof Error ? error.message : String(error)}`));
    write('Stopped.');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Start-up failed: ${error instanceof Error ? error.message : String(error)}`}\n`);
  process.exit(1);
});
