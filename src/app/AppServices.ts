import type { TokenCredential } from '@azure/identity';
import type { AuthenticationProvider, Client, FetchOptions } from '@microsoft/microsoft-graph-client';
import { createCredential } from './AppCredential';
import { loadConfig, type AppConfig } from '../config/AppConfig';
import type { PhotoJob } from '../domain/PhotoJob';
import type { RunRequest } from '../domain/RunRequest';
import { createGraphClient, splitGraphRoot } from '../graph/createGraphClient';
import { DEFAULT_PHOTO_GRAPH_OPTIONS, PhotoGraph, type PhotoGraphOptions } from '../graph/PhotoGraph';
import { IdentityStore } from '../storage/IdentityStore';
import { JobCoverage } from '../storage/JobCoverage';
import { UserSearchIndex } from '../storage/UserSearchIndex';
import { JobQueue } from '../storage/JobQueue';
import { PhotoBlobStore } from '../storage/PhotoBlobStore';
import { PhotoChangeFeed } from '../storage/PhotoChangeFeed';
import { PhotoEventStore } from '../storage/PhotoEventStore';
import { RunStore } from '../storage/RunStore';
import { ScopeStore } from '../storage/ScopeStore';
import { SettingsCache } from '../storage/SettingsCache';
import { SettingsStore } from '../storage/SettingsStore';
import { DeltaLinkStore } from '../storage/DeltaLinkStore';
import { createStorageClients, ensureStorage, type StorageClients } from '../storage/StorageClients';

/** Everything the functions use, built once per process from the configuration. */
export interface AppServices {
  config: AppConfig;
  /** The one credential of Graph and storage (src/app/AppCredential.ts). */
  credential: TokenCredential;
  storage: StorageClients;
  graphClient: Client;
  photoGraph: PhotoGraph;
  graphTimeoutMs: number;
  identities: IdentityStore;
  photoBlobs: PhotoBlobStore;
  userSearch: UserSearchIndex;
  events: PhotoEventStore;
  changes: PhotoChangeFeed;
  runs: RunStore;
  /** When the recent runs last checked each user, from their job markers. */
  coverage: JobCoverage;
  settings: SettingsStore;
  /** The delta link of the last whole user listing, in the settings table. */
  deltaLinks: DeltaLinkStore;
  scope: ScopeStore;
  /** The settings as this process's photo jobs see them: read about once a second, not once a job. */
  settingsCache: SettingsCache;
  photoJobs: JobQueue<PhotoJob>;
  runRequests: JobQueue<RunRequest>;
}

export interface ServiceOverrides {
  env?: Record<string, string | undefined>;
  /** Shorter Graph timeouts and retry waits, for fault tests that must not wait 30 s. */
  graph?: Partial<Omit<PhotoGraphOptions, 'stepOrigin'>>;
  /** Passed to every Graph request, e.g. a dispatcher that trusts a simulator's certificate. */
  graphFetchOptions?: FetchOptions;
  /** Replaces the configured credential (tests make the token call fail without any network). */
  graphAuthProvider?: AuthenticationProvider;
  /** Replaces the app's one credential. */
  credential?: TokenCredential;
}

export async function createServices(overrides: ServiceOverrides = {}): Promise<AppServices> {
  const config = loadConfig(overrides.env ?? process.env);
  const credential = overrides.credential ?? createCredential(config);
  const storage = createStorageClients(config, credential);
  await ensureStorage(storage);
  const graphClient = createGraphClient(
    config,
    credential,
    overrides.graphFetchOptions,
    overrides.graphAuthProvider,
  );
  const graphOptions: PhotoGraphOptions = {
    ...DEFAULT_PHOTO_GRAPH_OPTIONS,
    ...overrides.graph,
    stepOrigin: splitGraphRoot(config.graphBaseUrl).origin,
  };
  const userSearch = new UserSearchIndex(storage.tables.userSearch);
  const settings = new SettingsStore(storage.tables.settings);
  const runs = new RunStore(storage.tables.runs, storage.tables.runIndex);
  return {
    config,
    credential,
    storage,
    graphClient,
    photoGraph: new PhotoGraph(graphClient, graphOptions),
    graphTimeoutMs: graphOptions.timeoutMs,
    identities: new IdentityStore(storage.tables.users, userSearch),
    userSearch,
    photoBlobs: new PhotoBlobStore(storage.photoContainer),
    events: new PhotoEventStore(storage.tables.events),
    changes: new PhotoChangeFeed(storage.tables.changes),
    runs,
    coverage: new JobCoverage(storage.tables.runs, runs),
    settings,
    deltaLinks: new DeltaLinkStore(storage.tables.settings),
    settingsCache: new SettingsCache(settings),
    scope: new ScopeStore(storage.tables.scope),
    photoJobs: new JobQueue(storage.queues.photoJobs),
    runRequests: new JobQueue(storage.queues.runRequests),
  };
}

let current: Promise<AppServices> | undefined;

/** The process's services; a failed build is not cached, so the next invocation tries again. */
export function getServices(): Promise<AppServices> {
  if (current === undefined) {
    const building = createServices();
    current = building;
    building.catch(() => {
      if (current === building) current = undefined;
    });
  }
  return current;
}

/** Replaces the process's services: the local host and tests configure them before invoking handlers. */
export function useServices(services: Promise<AppServices> | undefined): void {
  current = services;
}
