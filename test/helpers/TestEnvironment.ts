import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { InvocationContext, type LogHandler } from '@azure/functions';
import {
  createServices,
  useServices,
  type AppServices,
  type ServiceOverrides,
} from '../../src/app/AppServices';
import { Azurite } from '../../dev/azurite/Azurite';
import { GraphSimulator } from '../../dev/simulator/GraphSimulator';
import { SimulatedTenant } from '../../dev/simulator/SimulatedTenant';
import { Agent } from 'undici';
import { rootCertificates } from 'node:tls';
import type { FetchOptions } from '@microsoft/microsoft-graph-client';
import { QueueRunner } from '../../dev/host/QueueRunner';
import { createQueueServiceClient } from '../../src/storage/StorageClients';
import type { QueueSettings } from '../../dev/host/HostSettings';
import { photoWorkerHandler } from '../../src/functions/photoWorker';
import { photoJobPoisonHandler } from '../../src/functions/photoJobPoison';
import { runRequestsHandler } from '../../src/functions/runRequests';
import { runRequestsPoisonHandler } from '../../src/functions/runRequestsPoison';
import { syncHandler } from '../../src/functions/sync';
import { settingsHandler } from '../../src/functions/settings';
import { HttpRequest } from '@azure/functions';
import type { Run } from '../../src/domain/Run';

export interface LogLine {
  level: string;
  message: string;
}

export interface TestEnvironmentOptions {
  userCount?: number;
  latencyMs?: number;
  graph?: ServiceOverrides['graph'];
  queue?: Partial<QueueSettings>;
  azurite?: { inMemory?: boolean };
  /** Replaces the fixed simulator token, e.g. with a provider whose token call fails. */
  graphAuthProvider?: ServiceOverrides['graphAuthProvider'];
  /**
   * Asks Graph for pages of this many users instead of the app's 999 (Graph may always answer with
   * smaller pages), so a small tenant spans several pages and `@odata.nextLink` is followed.
   */
  graphPageSize?: number;
  /** App settings beside the storage and Graph ones, e.g. PHOTO_REMOVAL_LIMIT. */
  env?: Record<string, string>;
}

/** Fast retries for tests: the queue semantics of host.json, without its waits. */
/** What every change sends: the API refuses a change not declared JSON (415). */
export const JSON_CONTENT = { 'Content-Type': 'application/json' } as const;

const TEST_QUEUE_SETTINGS: QueueSettings = {
  batchSize: 16,
  newBatchThreshold: 8,
  maxDequeueCount: 5,
  visibilityTimeoutMs: 0,
  maxPollingIntervalMs: 200,
};

/**
 * Real Azurite, the Graph simulator over https, and the app's services and handlers wired to
 * them, with every log line the handlers write captured.
 */
export class TestEnvironment {
  readonly logs: LogLine[] = [];
  readonly logHandler: LogHandler = (level, ...args) => {
    this.logs.push({ level, message: format(...args) });
  };
  private readonly runners: QueueRunner[];

  private constructor(
    readonly azurite: Azurite,
    readonly sim: GraphSimulator,
    readonly tenant: SimulatedTenant,
    readonly env: Record<string, string>,
    readonly services: AppServices,
    queue: QueueSettings,
  ) {
    const queues = services.storage.queues;
    const queueService = createQueueServiceClient(services.config, services.credential);
    // The app's queue triggers, planning first: drain() empties them in this order.
    const triggers = [
      ['runRequests', queues.runRequests, runRequestsHandler],
      ['photoWorker', queues.photoJobs, photoWorkerHandler],
      ['photoJobPoison', queues.photoJobsPoison, photoJobPoisonHandler],
      ['runRequestsPoison', queues.runRequestsPoison, runRequestsPoisonHandler],
    ] as const;
    this.runners = triggers.map(([functionName, client, handler]) =>
      QueueRunner.forQueue(queueService, client.name, {
        functionName,
        handler,
        settings: queue,
        logHandler: this.logHandler,
      }),
    );
  }

  static async start(options: TestEnvironmentOptions = {}): Promise<TestEnvironment> {
    const azurite = await Azurite.start({ inMemory: options.azurite?.inMemory ?? true });
    const tenant = new SimulatedTenant({ userCount: options.userCount ?? 45 });
    const sim = await GraphSimulator.start({
      tenant,
      latencyMs: options.latencyMs ?? 0,
      deltaPageSize: options.graphPageSize,
    });
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.baseUrl,
      GRAPH_ACCESS_TOKEN: sim.token,
      PHOTO_QUEUE: 'photo-sync-jobs',
      PHOTO_CONTAINER: 'user-photos',
      ...options.env,
    };
    // Jest runs tests in a VM context whose global dispatcher Node's fetch does not see: the
    // certificate is trusted per request instead.
    const agent = new Agent({ connect: { ca: [...rootCertificates, sim.caCertPem] } });
    const pageSize = options.graphPageSize;
    const dispatcher =
      pageSize === undefined
        ? agent
        : agent.compose(
            (dispatch) => (opts, handler) =>
              dispatch(
                { ...opts, path: opts.path.replace(/([?&]\$top=)999(?=&|$)/, `$1${pageSize}`) },
                handler,
              ),
          );
    const services = await createServices({
      env,
      graph: { maxRetryWaitMs: 10_000, ...options.graph },
      graphFetchOptions: { dispatcher } as FetchOptions,
      graphAuthProvider: options.graphAuthProvider,
    });
    useServices(Promise.resolve(services));
    return new TestEnvironment(azurite, sim, tenant, env, services, {
      ...TEST_QUEUE_SETTINGS,
      ...options.queue,
    });
  }

  context(functionName = 'test', triggerMetadata: Record<string, unknown> = {}): InvocationContext {
    return new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      logHandler: this.logHandler,
      triggerMetadata,
    });
  }

  /** Calls the HTTP handler as the runtime would. */
  async http(
    handler: typeof settingsHandler,
    init: {
      method: string;
      path: string;
      body?: string;
      headers?: Record<string, string>;
      params?: Record<string, string>;
    },
  ) {
    const request = new HttpRequest({
      method: init.method,
      url: `http://localhost:7071/api/${init.path}`,
      headers: init.headers ?? {},
      params: init.params ?? {},
      body: init.body === undefined ? undefined : { string: init.body },
    });
    return handler(request, this.context('http'));
  }

  async setSettings(userPhotos: boolean, syncUserPhotos: boolean): Promise<void> {
    const response = await this.http(settingsHandler, {
      method: 'PATCH',
      path: 'settings',
      body: JSON.stringify({ userPhotos, syncUserPhotos }),
      headers: JSON_CONTENT,
    });
    if (response.status !== 200) throw new Error(`settings not saved: ${JSON.stringify(response.jsonBody)}`);
  }

  async setScopeGroups(photoGroupId: string | null, photoExcludeGroupId: string | null): Promise<void> {
    const response = await this.http(settingsHandler, {
      method: 'PATCH',
      path: 'settings',
      body: JSON.stringify({ photoGroupId, photoExcludeGroupId }),
      headers: JSON_CONTENT,
    });
    if (response.status !== 200) throw new Error(`scope not saved: ${JSON.stringify(response.jsonBody)}`);
  }

  /** Every queue processed until all are empty, as the Functions host would, one pass after another. */
  async drainQueues(): Promise<void> {
    for (;;) {
      let processed = 0;
      for (const runner of this.runners) processed += await runner.drain();
      if (processed === 0) return;
    }
  }

  /** Only the run requests: the run is planned and its photo jobs wait on the queue. */
  async planOnly(body?: { allowRemovals: boolean }): Promise<string> {
    const response = await this.http(syncHandler, {
      method: 'POST',
      path: 'sync',
      headers: JSON_CONTENT,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status !== 202) throw new Error(`sync not started: ${JSON.stringify(response.jsonBody)}`);
    await this.runners[0].drain();
    return (response.jsonBody as { runId: string }).runId;
  }

  /** `POST /api/sync`, then the queues drained: one whole run. */
  async runSync(body?: { allowRemovals: boolean }): Promise<Run> {
    const runId = await this.planOnly(body);
    await this.drainQueues();
    const run = await this.services.runs.get(runId);
    if (run === undefined) throw new Error(`run ${runId} vanished`);
    return run;
  }

  /** The first log line at `level` that names `event` and every one of `words` (a run id, a user id). */
  logLine(level: LogLine['level'], event: string, ...words: string[]): LogLine | undefined {
    return this.logs.find(
      (line) =>
        line.level === level &&
        line.message.includes(event) &&
        words.every((word) => line.message.includes(word)),
    );
  }

  logEvents(event?: string): Array<Record<string, unknown>> {
    return this.logs
      .map((line) => {
        try {
          return JSON.parse(line.message) as Record<string, unknown>;
        } catch {
          return undefined;
        }
      })
      .filter(
        (entry): entry is Record<string, unknown> =>
          entry !== undefined && (event === undefined || entry.event === event),
      );
  }

  async stop(): Promise<void> {
    useServices(undefined);
    await Promise.all(this.runners.map((runner) => runner.stop()));
    await this.sim.stop();
    await this.azurite.stop();
  }
}
