import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../src/config/ConfigError';
import { LOCAL_AZURITE_CONNECTION_STRING } from '../../src/config/readStorage';
import { Azurite, freePort, type AzuriteOptions, type AzuritePorts } from '../azurite/Azurite';
import { DemoTenant } from '../demo/DemoTenant';
import { trustCertificate } from '../simulator/trustCertificate';

export type AppSettings = Record<string, string | undefined>;

export interface LocalEnvironmentOptions {
  projectRoot: string;
  /** The settings, when the caller read them already (`LocalEnvironment.settings`). */
  env?: AppSettings;
  /** Where the lines saying what was started (and why) go. */
  write: (line: string) => void;
  /**
   * Azurite on its usual ports 10000-10002 when they are free, so Storage Explorer finds it there
   * (`npm start`); otherwise any free ports (a one-off run must not compete for them).
   */
  azuriteWellKnownPorts: boolean;
  /** `npm start -- --data <dir>`; else the LOCAL_DATA_DIR setting; else everything is in memory. */
  dataDir?: string;
}

/**
 * The settings and stand-ins a local process runs with, shared by `npm start` and `npm run sync`:
 * `local.settings.json` `Values`, then the environment, as Core Tools reads them; Azurite in memory
 * when no storage is configured; the demo tenant when no Graph is.
 */
export class LocalEnvironment {
  private constructor(
    /** The app settings, pointing at whatever was started in place of unconfigured stores. */
    readonly env: AppSettings,
    /** Set when no Graph credential or `GRAPH_BASE_URL` was configured. */
    readonly demo: DemoTenant | undefined,
    /** Set when no storage was configured. */
    readonly azurite: Azurite | undefined,
    /** Everything stored is gone when the process ends: Azurite without a data folder. */
    readonly inMemory: boolean,
  ) {}

  /** `local.settings.json` `Values`, then the environment, as Core Tools reads them. */
  static settings(projectRoot: string): AppSettings {
    return { ...localSettings(projectRoot), ...process.env };
  }

  /** Whether start() would start a store or a tenant of its own for these settings. */
  static needsStandIns(env: AppSettings): boolean {
    return !isStorageConfigured(env) || !isGraphConfigured(env);
  }

  static async start(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
    const env: AppSettings = { ...(options.env ?? LocalEnvironment.settings(options.projectRoot)) };
    const dataDir = dataFolder(options.dataDir ?? env.LOCAL_DATA_DIR);
    const storage: AzuriteOptions =
      dataDir === undefined
        ? { inMemory: true }
        : { inMemory: false, location: dataFolder(join(dataDir, 'azurite')) };
    const where = dataDir === undefined ? 'in memory' : `data in ${storage.location}`;
    let azurite: Azurite | undefined;
    if (env.AzureWebJobsStorage === LOCAL_AZURITE_CONNECTION_STRING) {
      // "The local emulator": start one on its usual ports, unless one already listens there.
      if (await wellKnownPortsFree()) {
        azurite = await Azurite.start({ ...storage, ports: WELL_KNOWN_PORTS });
        options.write(
          `Azurite (${where}; AzureWebJobsStorage=${LOCAL_AZURITE_CONNECTION_STRING}): blob 10000, queue 10001, table 10002`,
        );
      } else {
        options.write(
          'Using the storage emulator already listening on ports 10000-10002 (AzureWebJobsStorage=UseDevelopmentStorage=true).',
        );
      }
    } else if (!isStorageConfigured(env)) {
      const ports = requestedPorts(env);
      azurite =
        ports === undefined && options.azuriteWellKnownPorts
          ? await startOnWellKnownPorts(storage)
          : await Azurite.start({ ...storage, ports });
      env.AzureWebJobsStorage = azurite.connectionString;
      options.write(
        `Azurite (${where}; AzureWebJobsStorage is not set): blob ${azurite.ports.blob}, queue ${azurite.ports.queue}, table ${azurite.ports.table}`,
      );
    }
    let demo: DemoTenant | undefined;
    if (!isGraphConfigured(env)) {
      try {
        demo = await DemoTenant.start({
          users: numberSetting(env, 'DEMO_USERS', 300),
          changeRate: numberSetting(env, 'DEMO_CHANGE_RATE', 0.05),
          // A fixed token lets a test or script drive the simulator's /_sim/ control API; it is never printed.
          token: env.DEMO_GRAPH_TOKEN || undefined,
          stateFile: dataDir === undefined ? undefined : join(dataDir, 'demo-tenant.json'),
        });
      } catch (error) {
        await azurite?.stop();
        throw error;
      }
      trustCertificate(demo.sim.caCertPem);
      env.GRAPH_BASE_URL = demo.sim.baseUrl;
      env.GRAPH_ACCESS_TOKEN = demo.sim.token;
      options.write(
        `Demo tenant (no Graph credential or GRAPH_BASE_URL set): ${demo.sim.tenant.count} users, Graph simulator at ${demo.sim.baseUrl}`,
      );
      options.write(
        `  groups to scope photos with (photoGroupId / photoExcludeGroupId): ${Object.entries(demo.groups)
          .map(([name, id]) => `${name} ${id}`)
          .join(', ')}`,
      );
    }
    return new LocalEnvironment(env, demo, azurite, azurite !== undefined && dataDir === undefined);
  }

  async stop(): Promise<void> {
    await this.demo?.stop();
    await this.azurite?.stop();
  }
}

/** The data folder, made if need be, as an absolute path; undefined for none. */
function dataFolder(setting: string | undefined): string | undefined {
  if (setting === undefined || setting.trim() === '') return undefined;
  const folder = resolve(setting);
  mkdirSync(folder, { recursive: true });
  return folder;
}

/** Core Tools reads `local.settings.json` `Values` into the environment; empty values count as unset. */
function localSettings(projectRoot: string): Record<string, string> {
  const file = join(projectRoot, 'local.settings.json');
  if (!existsSync(file)) return {};
  const values =
    (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> }).Values ?? {};
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => typeof value === 'string' && value !== ''),
  ) as Record<string, string>;
}

function isStorageConfigured(env: AppSettings): boolean {
  return Boolean(
    env.AzureWebJobsStorage ||
    env.AzureWebJobsStorage__accountName ||
    env.AzureWebJobsStorage__blobServiceUri,
  );
}

function isGraphConfigured(env: AppSettings): boolean {
  return Boolean(
    env.GRAPH_BASE_URL ||
    env.GRAPH_ACCESS_TOKEN ||
    env.AZURE_CLIENT_ID ||
    env.AZURE_CLIENT_SECRET ||
    env.AZURE_CLIENT_CERTIFICATE_PATH,
  );
}

function numberSetting(env: AppSettings, key: string, fallback: number): number {
  const value = env[key] === undefined || env[key] === '' ? fallback : Number(env[key]);
  if (!Number.isFinite(value) || value < 0)
    throw new ConfigError(key, `expected a number, got "${env[key]}"`);
  return value;
}

const PortsSchema = z
  .string()
  .regex(/^\d{1,5},\d{1,5},\d{1,5}$/)
  .transform((text) => text.split(',').map(Number))
  .refine((ports) => ports.every((port) => port > 0 && port < 65536));

/**
 * `AZURITE_PORTS=blob,queue,table`: Azurite on exactly these ports (a port taken is a start-up
 * error from Azurite), e.g. to find the same store again after a restart.
 */
function requestedPorts(env: AppSettings): AzuritePorts | undefined {
  if (env.AZURITE_PORTS === undefined || env.AZURITE_PORTS === '') return undefined;
  const parsed = PortsSchema.safeParse(env.AZURITE_PORTS);
  if (!parsed.success)
    throw new ConfigError(
      'AZURITE_PORTS',
      `expected three ports "blob,queue,table", got "${env.AZURITE_PORTS}"`,
    );
  const [blob, queue, table] = parsed.data;
  return { blob, queue, table };
}

async function portOrFree(preferred: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => void freePort().then(resolve));
    probe.listen(preferred, '127.0.0.1', () => probe.close(() => resolve(preferred)));
  });
}

const WELL_KNOWN_PORTS: AzuritePorts = { blob: 10000, queue: 10001, table: 10002 };

/**
 * Azurite on 10000-10002 where free. Another start (a second host, a test beside this one) can take
 * a port between the probe and Azurite's own listen: then on free ports rather than failing.
 */
async function startOnWellKnownPorts(storage: AzuriteOptions): Promise<Azurite> {
  try {
    return await Azurite.start({ ...storage, ports: await wellKnownPortsOrFree() });
  } catch (error) {
    if (!(error instanceof Error && error.message.includes('EADDRINUSE'))) throw error;
    return Azurite.start(storage);
  }
}

async function wellKnownPortsOrFree(): Promise<AzuritePorts> {
  return {
    blob: await portOrFree(WELL_KNOWN_PORTS.blob),
    queue: await portOrFree(WELL_KNOWN_PORTS.queue),
    table: await portOrFree(WELL_KNOWN_PORTS.table),
  };
}

async function wellKnownPortsFree(): Promise<boolean> {
  const ports = await wellKnownPortsOrFree();
  return (
    ports.blob === WELL_KNOWN_PORTS.blob &&
    ports.queue === WELL_KNOWN_PORTS.queue &&
    ports.table === WELL_KNOWN_PORTS.table
  );
}
