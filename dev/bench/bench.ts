/**
 * `npm run bench`: the sync against the naive approach, on one simulated tenant, all local.
 *
 *   npm run bench -- --users 10000 --latency-ms 50 --changed 0.01 [--throttle-rps 2000] [--scope-members 5000]
 *
 * Runs `cold` (every photo new), `steady` (after --changed of the photos changed), `naive` (the
 * same kind of steady state, one `GET /photo/$value` per user) and `serial` (one user at a time on
 * empty stores, over a sample: the cold run's yardstick), then `thumbnails`: 96×96 sized photos
 * made and served through the app's handler (dev/bench/ThumbnailBench.ts). Azurite and the Graph simulator run in
 * processes of their own; the app runs here, so the peak RSS is the app's. The last line printed
 * is the report as one JSON object.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { TableClient } from '@azure/data-tables';
import type { FetchOptions } from '@microsoft/microsoft-graph-client';
import { BlobServiceClient } from '@azure/storage-blob';
import { createServices, useServices, type AppServices } from '../../src/app/AppServices';
import type { DirectoryUser } from '../../src/graph/DirectoryUser';
import { listUserPages } from '../../src/graph/listUserPages';
import { UserSearchIndex } from '../../src/storage/UserSearchIndex';
import { IdentityStore } from '../../src/storage/IdentityStore';
import { PhotoBlobStore } from '../../src/storage/PhotoBlobStore';
import { Azurite } from '../azurite/Azurite';
import { loadFunctions } from '../host/FunctionRegistry';
import { readQueueSettings, type QueueSettings } from '../host/HostSettings';
import { BenchProgress } from './BenchProgress';
import {
  computeRatios,
  formatTable,
  type BenchSettings,
  type NaiveRunReport,
  type PipelineRunReport,
  type TenantChange,
} from './BenchReport';
import { naiveSync } from './naiveSync';
import { ProcessCpu } from './ProcessCpu';
import { measureRun, type Probes } from './measureRun';
import { SimulatorProcess } from './SimulatorProcess';
import { StorageOpCounter } from './StorageOpCounter';
import { SyncPipeline } from './SyncPipeline';
import { measureThumbnails } from './ThumbnailBench';

const projectRoot = resolve(__dirname, '..', '..', '..');
/** Enough single-user round trips for a stable rate, few enough to take seconds at 50 ms latency. */
const SERIAL_SAMPLE_USERS = 200;
const MB = 1024 * 1024;

function parseOptions(): BenchSettings {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '10000' },
      'latency-ms': { type: 'string', default: '50' },
      changed: { type: 'string', default: '0.01' },
      'throttle-rps': { type: 'string' },
      'scope-members': { type: 'string' },
    },
    strict: true,
  });
  const number = (
    name: string,
    text: string | undefined,
    check: (value: number) => boolean,
    expected: string,
  ): number => {
    const value = Number(text);
    if (text === undefined || text.trim() === '' || !Number.isFinite(value) || !check(value))
      throw new Error(`--${name} must be ${expected}, got '${text}'`);
    return value;
  };
  return {
    users: number('users', values.users, (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
    latencyMs: number('latency-ms', values['latency-ms'], (v) => v >= 0, 'a non-negative number'),
    changed: number('changed', values.changed, (v) => v >= 0 && v <= 1, 'a share within 0..1'),
    throttleRps:
      values['throttle-rps'] === undefined
        ? undefined
        : number('throttle-rps', values['throttle-rps'], (v) => v > 0, 'a positive number'),
    graphConcurrency: photoJobConcurrency(readQueueSettings(projectRoot)),
    scopeMembers:
      values['scope-members'] === undefined
        ? undefined
        : number(
            'scope-members',
            values['scope-members'],
            (v) => Number.isInteger(v) && v >= 0,
            'a whole number',
          ),
  };
}

/** The most photo jobs one Functions host runs at once: a batch fetched while up to newBatchThreshold are still in flight. */
function photoJobConcurrency(queues: QueueSettings): number {
  return queues.batchSize + queues.newBatchThreshold;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

function tenantChange(result: {
  changedIds: string[];
  reuploadedIds: string[];
  changedBytes: number;
}): TenantChange {
  return {
    photos: result.changedIds.length,
    reuploads: result.reuploadedIds.length,
    bytes: result.changedBytes,
  };
}

async function* firstUsers(
  pages: AsyncIterable<DirectoryUser[]>,
  count: number,
): AsyncGenerator<DirectoryUser[]> {
  for await (const page of pages) {
    yield page.slice(0, count);
    return;
  }
}

/** Stores of their own, so the one-user-at-a-time yardstick starts as empty as the cold run did. */
async function emptyStores(
  connectionString: string,
): Promise<{ identities: IdentityStore; photoBlobs: PhotoBlobStore }> {
  const table = TableClient.fromConnectionString(connectionString, 'BenchSerialUsers', {
    allowInsecureConnection: true,
  });
  const searchTable = TableClient.fromConnectionString(connectionString, 'BenchSerialUserSearch', {
    allowInsecureConnection: true,
  });
  const container =
    BlobServiceClient.fromConnectionString(connectionString).getContainerClient('bench-serial-photos');
  await Promise.all([table.createTable(), searchTable.createTable(), container.createIfNotExists()]);
  return {
    identities: new IdentityStore(table, new UserSearchIndex(searchTable)),
    photoBlobs: new PhotoBlobStore(container),
  };
}

async function main(): Promise<void> {
  const settings = parseOptions();
  // Other work on the machine takes cores from Azurite, the simulator and the app: the report says how busy it was.
  const loadAtStart = loadavg();
  const progress = new BenchProgress();
  progress.note(
    `Starting Azurite and a Graph simulator of ${settings.users} users (${settings.latencyMs} ms latency${settings.throttleRps ? `, ${settings.throttleRps} requests/s` : ''})…`,
  );
  const azurite = await Azurite.start({ inMemory: true });
  const sim = await SimulatorProcess.start({
    users: settings.users,
    latencyMs: settings.latencyMs,
    throttleRps: settings.throttleRps,
    scopeMembers: settings.scopeMembers,
  }).catch(async (error: unknown) => {
    await azurite.stop();
    throw error;
  });
  const storage = new StorageOpCounter(azurite.ports);
  const probes: Probes = { sim, storage, cpu: new ProcessCpu(sim.pid) };
  // Interrupted, the benchmark still stops the processes it started.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress.stop();
      void Promise.all([sim.stop(), azurite.stop()]).finally(() => process.exit(130));
    });
  }
  try {
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.connection.baseUrl,
      GRAPH_ACCESS_TOKEN: sim.connection.token,
      PHOTO_QUEUE: 'photo-sync-jobs',
      PHOTO_CONTAINER: 'user-photos',
    };
    const services = await storage.uncounted(() =>
      createServices({ env, graphFetchOptions: { dispatcher: sim.dispatcher } as FetchOptions }),
    );
    useServices(Promise.resolve(services));
    await storage.uncounted(() =>
      services.settings.update(
        { userPhotos: true, syncUserPhotos: true, photoGroupId: sim.connection.scopeGroupId ?? null },
        undefined,
        'benchmark',
      ),
    );
    const functions = loadFunctions(projectRoot);
    const pipeline = new SyncPipeline(services, readQueueSettings(projectRoot), functions);

    // Each run's figures as soon as it ends: a long benchmark that breaks off later keeps them.
    const finished = <T>(phase: string, report: T): T => {
      process.stdout.write(`${JSON.stringify({ run: phase, ...report })}\n`);
      return report;
    };
    const ours = async (phase: string, changed?: TenantChange): Promise<PipelineRunReport> => {
      progress.start(phase, settings.users);
      const { figures, result } = await measureRun(probes, () =>
        pipeline.run(
          (users) => progress.add(users),
          (seconds) => process.stderr.write(`\n${phase}: planning took ${seconds.toFixed(1)} s\n`),
        ),
      );
      progress.stop();
      const { run } = result;
      return finished(phase, {
        ...figures,
        users: run.users,
        status: run.status,
        outcomes: run.photos,
        planningSeconds: result.planningSeconds,
        photoJobs: result.photoJobs,
        meanJobsInFlight: result.meanJobsInFlight,
        problems: result.problems,
        changed,
      });
    };
    const naive = async (
      phase: string,
      users: number,
      concurrency: number,
      deps: Pick<AppServices, 'identities' | 'photoBlobs'>,
      changed?: TenantChange,
    ): Promise<NaiveRunReport> => {
      progress.start(phase, users);
      const pages = listUserPages(services.graphClient, services.graphTimeoutMs);
      const { figures, result } = await measureRun(probes, () =>
        naiveSync(users < settings.users ? firstUsers(pages, users) : pages, {
          client: services.graphClient,
          identities: deps.identities,
          photoBlobs: deps.photoBlobs,
          concurrency,
          timeoutMs: services.graphTimeoutMs,
          onUserChecked: () => progress.add(1),
        }),
      );
      progress.stop();
      const { users: checked, ...outcomes } = result;
      return finished(phase, { ...figures, users: checked, outcomes, concurrency, changed });
    };

    const cold = await ours('cold');
    const steadyChange = tenantChange(await sim.mutate(settings.changed));
    const steady = await ours('steady', steadyChange);
    const naiveChange = tenantChange(await sim.mutate(settings.changed));
    const naiveRun = await naive('naive', settings.users, settings.graphConcurrency, services, naiveChange);
    const serialStores = await storage.uncounted(() => emptyStores(azurite.connectionString));
    const serial = await naive('serial', Math.min(SERIAL_SAMPLE_USERS, settings.users), 1, serialStores);

    progress.note('Sized photos: 96×96 thumbnails made, then served again…');
    const thumbnails = finished(
      'thumbnails',
      await storage.uncounted(() => measureThumbnails(functions, services.identities)),
    );

    const runs = { cold, steady, naive: naiveRun, serial };
    const cpu = cpus();
    const report = {
      users: settings.users,
      latencyMs: settings.latencyMs,
      changed: settings.changed,
      throttleRps: settings.throttleRps ?? null,
      scopeMembers: settings.scopeMembers ?? null,
      graphConcurrency: settings.graphConcurrency,
      runs,
      ratios: computeRatios(settings, runs),
      thumbnails,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      machine: {
        cpu: cpu[0]?.model ?? 'unknown',
        cores: cpu.length,
        memoryGiB: Math.round(totalmem() / (1024 * MB)),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        loadAverage: { atStart: loadAtStart.map(round2), atEnd: loadavg().map(round2) },
      },
    };
    for (const line of formatTable(runs)) process.stdout.write(`${line}\n`);
    process.stdout.write(
      `thumbnails ${thumbnails.size}×${thumbnails.size}: ${thumbnails.madePerSecond} made/s, ${thumbnails.servedPerSecond} served/s (kept copies), ${thumbnails.bytes.median} bytes median (${thumbnails.photoLikeBytes} for a photo-like 648×648)\n`,
    );
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    progress.stop();
    storage.close();
    await Promise.all([sim.stop(), azurite.stop()]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
