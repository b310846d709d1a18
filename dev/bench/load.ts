/**
 * `npm run bench:load`: the operator API under load while a sync runs (docs/reliability.md, "Load").
 *
 *   npm run bench:load -- --users 5000 --latency-ms 50 --throttle-rps 50 --connections 50 --seconds 30
 *
 * Azurite, the Graph simulator and the host (`npm start`'s entry) each run in a process of their
 * own; autocannon runs here. A first run stores every photo. Then photos change, Graph is
 * throttled so the next run lasts through the load, that run starts, and autocannon hits
 * `GET /api/users/{id}/photo` (users with a photo, in random order) and then
 * `GET /api/users?top=50&search=` (name prefixes, the console's page) on loopback, each for --seconds. Once the run ends, its
 * counts are compared with what the tenant change makes them, and the store with Graph
 * (dev/check/StoreInvariants.ts). The last line is a JSON summary; the exit code is 1 when a
 * request failed or the run's outcome differs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { createServices } from '../../src/app/AppServices';
import type { OutcomeCounts } from '../../src/domain/PhotoOutcome';
import type { Run } from '../../src/domain/Run';
import { mapWithConcurrency } from '../../src/sync/mapWithConcurrency';
import { Azurite, freePort } from '../azurite/Azurite';
import { consistencyProblems, countProblems, type GraphPhotos } from '../check/StoreInvariants';
import { SimulatedTenant } from '../simulator/SimulatedTenant';
import { HostApi, isOver } from './HostApi';
import { HostProcess } from './HostProcess';
import { isPositiveWhole, isWhole, numberFlag } from './numberFlag';
import { childPid, procCpuSeconds } from './ProcessCpu';
import { SeededRandom } from './SeededRandom';
import { SimulatorProcess } from './SimulatorProcess';

const projectRoot = resolve(__dirname, '..', '..', '..');
const NO_TIMER = '0 0 0 1 1 *';
const RUN_TIMEOUT_MS = 30 * 60_000;
/** Graph photos fetched at once from the simulator for the final comparison. */
const PHOTO_READS_IN_FLIGHT = 16;
/**
 * The page a search asks for: the console's search box (src/console/usersView.ts) asks for 50.
 * Every name prefix of the simulated tenant finds hundreds of users, so each search reads a full
 * page: one index query and a record read per user found.
 */
const SEARCH_PAGE = 50;

interface LoadOptions {
  users: number;
  latencyMs: number;
  throttleRps: number;
  changed: number;
  connections: number;
  seconds: number;
  seed: number;
}

interface EndpointFigures {
  endpoint: string;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Answers other than 2xx and 304, plus connection errors and timeouts. */
  errors: number;
  /** Of the errors, requests without an answer within autocannon's 10 s. */
  timeouts: number;
  statusCodes: Record<string, number>;
  /** CPU seconds each process used during the window: on two cores they compete. */
  cpuSeconds: Record<string, number | null>;
}

/** The processes of the stack by role, read from /proc (null where it cannot be read). */
type Processes = Record<'host' | 'azurite' | 'simulator', number | undefined>;

function cpuOf(processes: Processes): Record<string, number | null> {
  const usage = process.cpuUsage();
  return {
    ...Object.fromEntries(Object.entries(processes).map(([role, pid]) => [role, procCpuSeconds(pid)])),
    autocannon: (usage.user + usage.system) / 1e6,
  };
}

function cpuSince(start: Record<string, number | null>, processes: Processes): Record<string, number | null> {
  const now = cpuOf(processes);
  return Object.fromEntries(
    Object.entries(now).map(([role, seconds]) => {
      const before = start[role];
      return [role, seconds === null || before === null ? null : Math.round((seconds - before) * 10) / 10];
    }),
  );
}

function parseOptions(): LoadOptions {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '5000' },
      'latency-ms': { type: 'string', default: '50' },
      'throttle-rps': { type: 'string', default: '50' },
      changed: { type: 'string', default: '0.02' },
      connections: { type: 'string', default: '50' },
      seconds: { type: 'string', default: '30' },
      seed: { type: 'string', default: '1' },
    },
    strict: true,
  });
  return {
    users: numberFlag('users', values.users, isPositiveWhole, 'a positive integer'),
    latencyMs: numberFlag('latency-ms', values['latency-ms'], (v) => v >= 0, 'a non-negative number'),
    throttleRps: numberFlag('throttle-rps', values['throttle-rps'], isPositiveWhole, 'a positive integer'),
    changed: numberFlag('changed', values.changed, (v) => v >= 0 && v <= 1, 'a share within 0..1'),
    connections: numberFlag('connections', values.connections, isPositiveWhole, 'a positive integer'),
    seconds: numberFlag('seconds', values.seconds, isPositiveWhole, 'a positive integer'),
    seed: numberFlag('seed', values.seed, isWhole, 'a whole number'),
  };
}

async function hammer(
  url: string,
  options: LoadOptions,
  processes: Processes,
  paths: () => string,
  endpoint: string,
): Promise<EndpointFigures> {
  const cpuAtStart = cpuOf(processes);
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: paths() }) }],
  });
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
  );
  const notOk = Object.entries(statusCodes)
    .filter(([code]) => !(code.startsWith('2') || code === '304'))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    endpoint,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    errors: notOk + result.errors,
    timeouts: result.timeouts,
    statusCodes,
    cpuSeconds: cpuSince(cpuAtStart, processes),
  };
}

/** What the run should count: changed bytes are updated, identical re-uploads unchanged. */
function expectedCounts(withPhoto: number, withoutPhoto: number, changedBytes: number): OutcomeCounts {
  return {
    added: 0,
    updated: changedBytes,
    unchanged: withPhoto - changedBytes,
    removed: 0,
    noPhoto: withoutPhoto,
    failed: 0,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const write = (line: string): void => void process.stderr.write(`${line}\n`);
  const random = new SeededRandom(options.seed);
  const folder = mkdtempSync(join(tmpdir(), 'photo-sync-load-'));
  const stops: Array<() => Promise<void>> = [async () => rmSync(folder, { recursive: true, force: true })];
  try {
    const azurite = await Azurite.start({ inMemory: true });
    stops.push(() => azurite.stop());
    const sim = await SimulatorProcess.start({ users: options.users, latencyMs: options.latencyMs });
    stops.push(() => sim.stop());
    const caFile = join(folder, 'graph-simulator-ca.pem');
    writeFileSync(caFile, sim.connection.caCertPem);
    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.connection.baseUrl,
      GRAPH_ACCESS_TOKEN: sim.connection.token,
    };
    const host = await HostProcess.start({
      projectRoot,
      port: await freePort(),
      env: { ...env, NODE_EXTRA_CA_CERTS: caFile, PHOTO_SYNC_SCHEDULE: NO_TIMER },
    });
    stops.push(() => host.stop());
    const api = new HostApi(host.url);
    const processes: Processes = { host: host.pid, azurite: childPid('azurite'), simulator: sim.pid };
    await api.enablePhotoSync();

    // The simulator's tenant is made from its user count alone: the same users, here, for paths.
    const replica = new SimulatedTenant({ userCount: options.users });
    const users = replica.users();
    const withPhoto = users.filter((user) => replica.photoMetadataOf(user.id) !== null);
    const prefixes = [...new Set(users.flatMap((user) => [user.givenName, user.surname]))].map((name) =>
      name.slice(0, 3).toLowerCase(),
    );

    write(`Load: ${options.users} users; first run (every photo new)…`);
    const first = await runToEnd(api);
    write(`  ${first.status}: ${JSON.stringify(first.photos)}`);
    const change = await sim.mutate(options.changed);
    await sim.setFaults({ throttleRps: options.throttleRps });
    const start = await api.startRun(60_000);
    if (start.kind === 'refused') throw new Error(`run ${start.runningRunId} still holds the run slot`);
    write(`Run ${start.runId} started (Graph throttled at ${options.throttleRps} photo requests/s); load…`);

    const photo = await hammer(
      host.url,
      options,
      processes,
      () => `/api/users/${random.pick(withPhoto).id}/photo`,
      'GET /api/users/{id}/photo',
    );
    write(
      `  ${photo.endpoint}: ${Math.round(photo.requestsPerSecond)} req/s, p99 ${photo.latencyMs.p99} ms, ${photo.errors} errors (${photo.timeouts} timeouts)`,
    );
    const search = await hammer(
      host.url,
      options,
      processes,
      () => `/api/users?top=${SEARCH_PAGE}&search=${encodeURIComponent(random.pick(prefixes))}`,
      `GET /api/users?top=${SEARCH_PAGE}&search=`,
    );
    write(
      `  ${search.endpoint}: ${Math.round(search.requestsPerSecond)} req/s, p99 ${search.latencyMs.p99} ms, ${search.errors} errors (${search.timeouts} timeouts)`,
    );
    const duringLoad = await api.run(start.runId);

    const run = await api.waitForRun(start.runId, RUN_TIMEOUT_MS);
    const expected = expectedCounts(
      withPhoto.length,
      users.length - withPhoto.length,
      change.changedIds.length,
    );
    const problems = [...countProblems(run)];
    if (run.status !== 'completed') problems.push(`the run ended ${run.status}`);
    for (const [outcome, count] of Object.entries(expected) as Array<[keyof OutcomeCounts, number]>)
      if (run.photos[outcome] !== count)
        problems.push(`the run counted ${run.photos[outcome]} ${outcome}, the tenant change makes ${count}`);
    const graph = await graphPhotosOf(sim, users);
    problems.push(...(await consistencyProblems({ tenant: graph, services: await createServices({ env }) })));
    for (const figures of [photo, search])
      if (figures.errors > 0) problems.push(`${figures.endpoint}: ${figures.errors} requests failed`);

    const summary = {
      machine: { cpus: cpus().length, model: cpus()[0]?.model },
      users: options.users,
      connections: options.connections,
      secondsPerEndpoint: options.seconds,
      graph: { latencyMs: options.latencyMs, throttleRps: options.throttleRps },
      endpoints: [photo, search],
      run: {
        runId: run.runId,
        status: run.status,
        stillRunningWhenLoadEnded: !isOver(duringLoad),
        seconds:
          run.finishedAt === null ? null : (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000,
        photos: run.photos,
        expected,
      },
      problems,
    };
    for (const line of problems.slice(0, 50)) write(`PROBLEM ${line}`);
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.exitCode = problems.length === 0 ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

async function runToEnd(api: HostApi): Promise<Run> {
  const start = await api.startRun(60_000);
  if (start.kind === 'refused') throw new Error(`run ${start.runningRunId} still holds the run slot`);
  return api.waitForRun(start.runId, RUN_TIMEOUT_MS);
}

/** Graph's photos as the simulator process serves them now, for the store to be compared with. */
async function graphPhotosOf(
  sim: SimulatorProcess,
  users: ReadonlyArray<{ id: string }>,
): Promise<GraphPhotos> {
  const photos = await mapWithConcurrency(users, PHOTO_READS_IN_FLIGHT, (user) => sim.photoOf(user.id));
  const byId = new Map(users.map((user, index) => [user.id, photos[index]]));
  return { users: () => users, photoOf: (userId) => byId.get(userId) ?? null };
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:load failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
});
