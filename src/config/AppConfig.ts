import { ConfigError, httpsUrl, read, type Env } from './ConfigError';
import { readStorage, type StorageConfig } from './readStorage';

/**
 * The app's configuration, read here and only here (with ConfigError and readStorage beside it;
 * docs/design.md, "Configuration"). Everything else receives an `AppConfig`; infra and
 * `local.settings.json.example` are checked against `CONFIG_KEYS`.
 */
export const CONFIG_KEYS = [
  'AzureWebJobsStorage',
  'GRAPH_BASE_URL',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'GRAPH_ACCESS_TOKEN',
  'PHOTO_SYNC_SCHEDULE',
  'PHOTO_RECHECK_DAYS',
  'PHOTO_REMOVAL_LIMIT',
  'PHOTO_QUEUE',
  'PHOTO_CONTAINER',
  'PORT',
  'PHOTO_HISTORY_DAYS',
] as const;

export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** A fixed token (simulators only), or the app's one credential. */
export type GraphAuthConfig = { kind: 'fixedToken'; token: string } | { kind: 'credential' };

/**
 * The one Entra ID credential of the app, for Graph and storage alike. In Azure a user-assigned
 * managed identity, pinned by its client id so no other identity is ever tried; with a client
 * secret or certificate, that app registration; otherwise the developer's own sign-in (Azure CLI,
 * azd, …) through DefaultAzureCredential.
 */
export type CredentialConfig =
  { kind: 'managedIdentity'; clientId: string } | { kind: 'servicePrincipal' } | { kind: 'developer' };

export interface AppConfig {
  storage: StorageConfig;
  graphBaseUrl: string;
  graphAuth: GraphAuthConfig;
  credential: CredentialConfig;
  syncSchedule: string;
  recheckDays: number;
  /** Most photos one run removes for scope or departure (PHOTO_REMOVAL_LIMIT). */
  removalLimit: number;
  photoQueue: string;
  photoContainer: string;
  port: number;
  /** `PHOTO_HISTORY_DAYS`: how long history (the photo change feed, among others) is kept. */
  historyDays: number;
}

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';
export const DEFAULT_SYNC_SCHEDULE = '0 0 */4 * * *';
export const DEFAULT_PHOTO_QUEUE = 'photo-sync-jobs';
export const DEFAULT_PHOTO_CONTAINER = 'user-photos';

/** A Graph root ends in its version segment (`…/v1.0`), which the SDK keeps apart from the host. */
function graphRoot(value: string): string {
  const url = httpsUrl('GRAPH_BASE_URL', value);
  if (new URL(url).pathname.split('/').filter(Boolean).length === 0) {
    throw new ConfigError(
      'GRAPH_BASE_URL',
      'must end in the API version, e.g. https://graph.microsoft.com/v1.0',
    );
  }
  return url;
}

function positiveNumber(
  env: Env,
  key: ConfigKey,
  fallback: number,
  { integer, max }: { integer: boolean; max: number },
): number {
  const raw = read(env, key);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new ConfigError(
      key,
      `expected a ${integer ? 'whole ' : ''}number from ${integer ? 1 : 'above 0'} to ${max}, got "${raw}"`,
    );
  }
  return value;
}

/**
 * Queue names: 3-63 lowercase letters, digits and single hyphens; the derived `-runs-poison` must
 * still fit.
 */
function queueName(env: Env, key: ConfigKey, fallback: string): string {
  const value = read(env, key) ?? fallback;
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,49}[a-z0-9]$/.test(value)) {
    throw new ConfigError(
      key,
      `"${value}" is not a valid queue name ` +
        '(3-51 lowercase letters, digits, single hyphens; room is kept for "-runs-poison")',
    );
  }
  return value;
}

function containerName(env: Env, key: ConfigKey, fallback: string): string {
  const value = read(env, key) ?? fallback;
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(value)) {
    throw new ConfigError(
      key,
      `"${value}" is not a valid blob container name (3-63 lowercase letters, digits, single hyphens)`,
    );
  }
  return value;
}

/**
 * Six-field NCRONTAB ({second} {minute} {hour} {day} {month} {day-of-week}), as the timer trigger
 * takes it.
 */
function schedule(env: Env): string {
  const value = read(env, 'PHOTO_SYNC_SCHEDULE') ?? DEFAULT_SYNC_SCHEDULE;
  const fields = value.split(/\s+/);
  if (fields.length !== 6 || !fields.every((field) => /^[0-9*/,\-A-Za-z]+$/.test(field))) {
    throw new ConfigError(
      'PHOTO_SYNC_SCHEDULE',
      `"${value}" is not a six-field NCRONTAB expression such as "${DEFAULT_SYNC_SCHEDULE}"`,
    );
  }
  return value;
}

function graphAuth(env: Env, graphBaseUrlSet: boolean): GraphAuthConfig {
  const token = read(env, 'GRAPH_ACCESS_TOKEN');
  if (token === undefined) return { kind: 'credential' };
  if (!graphBaseUrlSet) {
    throw new ConfigError(
      'GRAPH_ACCESS_TOKEN',
      'a fixed token is for simulators only: set GRAPH_BASE_URL too',
    );
  }
  return { kind: 'fixedToken', token };
}

function credential(env: Env): CredentialConfig {
  const clientSecret = read(env, 'AZURE_CLIENT_SECRET');
  const certificate = read(env, 'AZURE_CLIENT_CERTIFICATE_PATH');
  if (clientSecret !== undefined || certificate !== undefined) {
    for (const key of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID'] as const) {
      if (read(env, key) === undefined)
        throw new ConfigError(key, 'required with AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH');
    }
    return { kind: 'servicePrincipal' };
  }
  const clientId = read(env, 'AZURE_CLIENT_ID');
  const storageClientId = read(env, 'AzureWebJobsStorage__clientId');
  if (clientId !== undefined && storageClientId !== undefined && clientId !== storageClientId) {
    throw new ConfigError(
      'AzureWebJobsStorage__clientId',
      'must be the managed identity of AZURE_CLIENT_ID: one identity serves Graph and storage',
    );
  }
  const managedIdentity = clientId ?? storageClientId;
  return managedIdentity === undefined
    ? { kind: 'developer' }
    : { kind: 'managedIdentity', clientId: managedIdentity };
}

export function loadConfig(env: Env = process.env): AppConfig {
  const graphBaseUrlRaw = read(env, 'GRAPH_BASE_URL');
  return {
    storage: readStorage(env),
    graphBaseUrl: graphBaseUrlRaw === undefined ? DEFAULT_GRAPH_BASE_URL : graphRoot(graphBaseUrlRaw),
    graphAuth: graphAuth(env, graphBaseUrlRaw !== undefined),
    credential: credential(env),
    syncSchedule: schedule(env),
    recheckDays: positiveNumber(env, 'PHOTO_RECHECK_DAYS', 7, { integer: false, max: 3650 }),
    removalLimit: positiveNumber(env, 'PHOTO_REMOVAL_LIMIT', 500, { integer: true, max: 1_000_000 }),
    photoQueue: queueName(env, 'PHOTO_QUEUE', DEFAULT_PHOTO_QUEUE),
    photoContainer: containerName(env, 'PHOTO_CONTAINER', DEFAULT_PHOTO_CONTAINER),
    port: positiveNumber(env, 'PORT', 7071, { integer: true, max: 65535 }),
    historyDays: positiveNumber(env, 'PHOTO_HISTORY_DAYS', 90, { integer: true, max: 3650 }),
  };
}

/** What start-up may print: which credential is in use, never its value. */
export function describeConfig(config: AppConfig): Record<string, string> {
  return {
    storage:
      config.storage.kind === 'identity'
        ? `identity-based (${config.storage.blobServiceUri})`
        : 'connection string (set)',
    graphBaseUrl: config.graphBaseUrl,
    graphCredential:
      config.graphAuth.kind === 'fixedToken' ? 'GRAPH_ACCESS_TOKEN (set)' : config.credential.kind,
    schedule: config.syncSchedule,
    recheckDays: String(config.recheckDays),
    removalLimit: String(config.removalLimit),
    queue: config.photoQueue,
    container: config.photoContainer,
    historyDays: String(config.historyDays),
  };
}
