/**
 * `npm run chaos`: the local stack through many syncs while its host is killed with SIGKILL at
 * random moments, then the store's invariants (docs/reliability.md, "Chaos").
 *
 *   npm run chaos -- --users 300 --syncs 20 --seed 1 [--latency-ms 20] [--failure-rate 0.05]
 *     [--throttle-rps 150] [--changed 0.05] [--lease-seconds 8] [--wait-seconds 120]
 *
 * Azurite keeps its data on disk in a temporary folder and the Graph simulator (random failures
 * and throttling on) runs in this process: both outlive the host, which is `npm start`'s entry in
 * a child process pointed at them. Between syncs photos change, are removed and come back. A kill
 * lands while a run plans, while its photo jobs run, right after a photo blob was stored and
 * before its record was written (BlobWriteTap holds the blob write's answer back), or while the
 * jobs a kill left behind are delivered again. The host's queue lease is shortened
 * (LOCAL_QUEUE_LEASE_SECONDS) so those come back in seconds rather than 10 minutes. At the end: faults off,
 * one clean run, and the checks of dev/check/StoreInvariants.ts. The last line is a JSON summary;
 * the exit code is 1 when an invariant does not hold.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { QueueClient } from '@azure/storage-queue';
import { createServices } from '../../src/app/AppServices';
import type { Run } from '../../src/domain/Run';
import { Azurite, azuriteConnectionString, freePort } from '../azurite/Azurite';
import {
  consistencyProblems,
  countProblems,
  nothingLostProblems,
  storedStates,
  type StoreUnderCheck,
} from '../check/StoreInvariants';
import { GraphSimulator } from '../simulator/GraphSimulator';
import { SimulatedTenant } from '../simulator/SimulatedTenant';
import { BlobWriteTap } from './BlobWriteTap';
import { HostApi, isOver } from './HostApi';
import { HostProcess } from './HostProcess';
import { isPositiveWhole, isWhole, numberFlag } from './numberFlag';
import { SeededRandom } from './SeededRandom';

const projectRoot = resolve(__dirname, '..', '..', '..');
/** Never within a chaos run: the timer must not start runs of its own. */
const NO_TIMER = '0 0 0 1 1 *';
/** A planning kill lands this long after the host took the run request, at most. */
const PLANNING_WINDOW_MS = 300;
/** A clean run is given this long; far more than 300 users need without faults. */
const CLEAN_RUN_TIMEOUT_MS = 10 * 60_000;
/** How a run whose host died ends: its planning cut short, or its jobs never finished. */
const AZURITE_ACCOUNT = 'devstoreaccount1';
const USER_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const INTERRUPTED_CODES: readonly string[] = ['planningInterrupted', 'interrupted'];

interface ChaosOptions {
  users: number;
  syncs: number;
  seed: number;
  latencyMs: number;
  failureRate: number;
  throttleRps: number | undefined;
  changed: number;
  leaseSeconds: number;
  waitSeconds: number;
}

type KillPhase = 'planning' | 'jobs' | 'blobWrite' | 'redelivery';

interface Kill {
  sync: number;
  phase: KillPhase;
  /** The run as the store had it at the kill: `planning` or `jobs done/total`. */
  runState: string;
  /** Users whose blob was written but whose record did not name it yet. */
  blobsAheadOfRecords: number;
  restartSeconds: number;
}

function parseOptions(): ChaosOptions {
  const { values } = parseArgs({
    options: {
      users: { type: 'string', default: '300' },
      syncs: { type: 'string', default: '20' },
      seed: { type: 'string', default: '1' },
      'latency-ms': { type: 'string', default: '20' },
      'failure-rate': { type: 'string', default: '0.05' },
      'throttle-rps': { type: 'string', default: '150' },
      changed: { type: 'string', default: '0.05' },
      'lease-seconds': { type: 'string', default: '8' },
      'wait-seconds': { type: 'string', default: '120' },
    },
    strict: true,
  });
  const share = (v: number): boolean => v >= 0 && v <= 1;
  const throttleRps = numberFlag('throttle-rps', values['throttle-rps'], isWhole, 'a whole number (0: off)');
  return {
    users: numberFlag('users', values.users, isPositiveWhole, 'a positive integer'),
    syncs: numberFlag('syncs', values.syncs, isPositiveWhole, 'a positive integer'),
    seed: numberFlag('seed', values.seed, isWhole, 'a whole number'),
    latencyMs: numberFlag('latency-ms', values['latency-ms'], (v) => v >= 0, 'a non-negative number'),
    failureRate: numberFlag('failure-rate', values['failure-rate'], share, 'a share within 0..1'),
    throttleRps: throttleRps === 0 ? undefined : throttleRps,
    changed: numberFlag('changed', values.changed, share, 'a share within 0..1'),
    leaseSeconds: numberFlag(
      'lease-seconds',
      values['lease-seconds'],
      (v) => isWhole(v) && v >= 2,
      'at least 2',
    ),
    waitSeconds: numberFlag('wait-seconds', values['wait-seconds'], isWhole, 'a whole number'),
  };
}

/**
 * The users of nothing-lost problems whose blob went, or became bytes that are not Graph's photo
 * (each problem line starts with `<userId>:`): a photo lost, not merely a record behind its blob.
 */
function usersWithLostPhoto(problems: readonly string[]): string[] {
  return problems.filter((line) => /^[^:]+: blob .* became /.test(line)).map((line) => line.split(':')[0]);
}

async function main(): Promise<void> {
  const options = parseOptions();
  const write = (line: string): void => void process.stdout.write(`${line}\n`);
  const startedAt = performance.now();
  const random = new SeededRandom(options.seed);
  const folder = mkdtempSync(join(tmpdir(), 'photo-sync-chaos-'));
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(folder, { recursive: true, force: true })];
  const cleanUp = async (): Promise<void> => {
    for (const step of cleanups.splice(0).reverse()) await step().catch(() => undefined);
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));

  try {
    const azuriteFolder = join(folder, 'azurite');
    mkdirSync(azuriteFolder);
    const azurite = await Azurite.start({ inMemory: false, location: azuriteFolder });
    cleanups.push(() => azurite.stop());
    const tenant = new SimulatedTenant({ userCount: options.users, seed: options.seed });
    const sim = await GraphSimulator.start({
      tenant,
      latencyMs: options.latencyMs,
      throttleRps: options.throttleRps,
    });
    cleanups.push(() => sim.stop());
    const faultsOn = (): void => {
      sim.faults.randomFailureRate = options.failureRate;
      sim.faults.randomFailureSeed = options.seed;
    };
    faultsOn();
    const caFile = join(folder, 'graph-simulator-ca.pem');
    writeFileSync(caFile, sim.caCertPem);

    const env = {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.baseUrl,
      GRAPH_ACCESS_TOKEN: sim.token,
    };
    const services = await createServices({ env });
    const tap = await BlobWriteTap.start(azurite.ports.blob, AZURITE_ACCOUNT, services.config.photoContainer);
    cleanups.push(() => tap.stop());
    const store: StoreUnderCheck = { tenant, services };
    const port = await freePort();
    const hostOptions = {
      projectRoot,
      port,
      env: {
        ...env,
        // The host writes blobs through the tap; this process reads the store directly.
        AzureWebJobsStorage: azuriteConnectionString({ ...azurite.ports, blob: tap.port }),
        NODE_EXTRA_CA_CERTS: caFile,
        PHOTO_SYNC_SCHEDULE: NO_TIMER,
        LOCAL_QUEUE_LEASE_SECONDS: String(options.leaseSeconds),
      },
    };
    let host = await HostProcess.start(hostOptions);
    cleanups.push(() => host.stop());
    const api = new HostApi(host.url);
    await api.enablePhotoSync();
    write(
      `Chaos: ${options.users} users, ${options.syncs} syncs, seed ${options.seed}; Graph ${options.latencyMs} ms, ` +
        `${options.failureRate * 100}% random failures, throttled at ${options.throttleRps ?? 'no limit'} photo requests/s; ` +
        `queue lease ${options.leaseSeconds} s; data in ${folder}`,
    );

    const kills: Kill[] = [];
    const problems: string[] = [];
    const lostUsers = new Set<string>();
    const startedRuns: string[] = [];
    let refused = 0;
    let before = await storedStates(store);
    const check = async (when: string, run?: Run): Promise<void> => {
      const found = await nothingLostProblems(store, before, run === undefined ? {} : { run });
      problems.push(...found.map((line) => `${when}: ${line}`));
      for (const userId of usersWithLostPhoto(found)) lostUsers.add(userId);
    };
    const killAndRestart = async (sync: number, runId: string, phase: KillPhase): Promise<void> => {
      await host.kill();
      const run = await services.runs.get(runId);
      const states = await storedStates(store);
      const blobsAheadOfRecords = [...states.values()].filter(
        (state) => state.blobSha !== undefined && state.blobSha !== state.recordSha,
      ).length;
      await check(`sync ${sync}, at the ${phase} kill`);
      const restartAt = performance.now();
      host = await HostProcess.start(hostOptions);
      const kill: Kill = {
        sync,
        phase,
        runState:
          run === undefined || run.jobs.total === null
            ? 'planning'
            : `jobs ${run.jobs.done}/${run.jobs.total}`,
        blobsAheadOfRecords,
        restartSeconds: Math.round(performance.now() - restartAt) / 1000,
      };
      kills.push(kill);
      write(
        `  SIGKILL during ${phase} (${kill.runState}; ${blobsAheadOfRecords} blobs ahead of their records); host back in ${kill.restartSeconds} s`,
      );
    };

    for (let sync = 1; sync <= options.syncs; sync++) {
      if (sync > 1) changePhotos(tenant, random, options.changed, options.seed * 1000 + sync);
      before = await storedStates(store);
      const start = await api.startRun(options.waitSeconds * 1000);
      if (start.kind === 'refused') {
        refused++;
        write(
          `sync ${sync}: refused, run ${start.runningRunId} still in progress after ${options.waitSeconds} s`,
        );
        continue;
      }
      const runId = start.runId;
      startedRuns.push(runId);
      write(`sync ${sync}: run ${runId}`);
      const draw = random.next();
      if (draw < 0.25) {
        await untilTaken(services.storage.queues.runRequests);
        await sleep(random.next() * PLANNING_WINDOW_MS);
        await killAndRestart(sync, runId, 'planning');
      } else if (draw < 0.5) {
        tap.arm();
        const caughtBefore = tap.caught;
        while (tap.caught === caughtBefore && !isOver(await api.run(runId))) await sleep(50);
        tap.disarm();
        if (tap.caught > caughtBefore) await killAndRestart(sync, runId, 'blobWrite');
      } else if (draw < 0.8) {
        const share = random.next() * 0.9;
        const reached = await api.waitForRun(
          runId,
          CLEAN_RUN_TIMEOUT_MS,
          (run) => isOver(run) || (run.jobs.total !== null && run.jobs.done >= share * run.jobs.total),
        );
        if (!isOver(reached)) await killAndRestart(sync, runId, 'jobs');
      }
      if (kills.at(-1)?.sync === sync && random.next() < 0.25) {
        // The jobs the kill left leased come back once their lease runs out: kill during those too.
        await sleep(options.leaseSeconds * 1000 + random.next() * 3_000);
        if (!isOver(await api.run(runId))) await killAndRestart(sync, runId, 'redelivery');
      }
      const settled = await api.waitForRun(runId, (options.leaseSeconds + 60) * 1000);
      // A run can end before its last jobs do (a planning interrupted after it enqueued some):
      // the check must not read the store half-way through their writes.
      const queues = services.storage.queues;
      if (!(await untilEmpty([queues.runRequests, queues.photoJobs], (options.leaseSeconds + 60) * 1000)))
        write(`  the queues still hold messages ${options.leaseSeconds + 60} s after the run`);
      write(
        `  ${settled.status}${settled.error === null ? '' : ` (${settled.error.code})`}: ${JSON.stringify(settled.photos)}`,
      );
      // Without a kill, each job ran once: a user failed in this run must have kept what it had
      // before the run. After a kill, an earlier delivery of the same job may have stored Graph's
      // photo before the repeat failed, so only the general rule holds.
      await check(
        `sync ${sync}, after its run`,
        isOver(settled) && kills.at(-1)?.sync !== sync ? settled : undefined,
      );
    }

    write('Faults off; one clean run.');
    sim.resetFaults();
    sim.faults.throttleRps = undefined;
    const cleanStart = await api.startRun(options.waitSeconds * 1000);
    let clean: Run | undefined;
    if (cleanStart.kind === 'refused') {
      problems.push(
        `the clean run could not start: run ${cleanStart.runningRunId} still held the run slot after ${options.waitSeconds} s`,
      );
    } else {
      clean = await api.waitForRun(cleanStart.runId, CLEAN_RUN_TIMEOUT_MS);
      problems.push(...countProblems(clean));
      if (clean.status !== 'completed') problems.push(`the clean run ended ${clean.status}`);
      if (clean.photos.failed !== 0) problems.push(`the clean run failed ${clean.photos.failed} users`);
      if (clean.users !== tenant.count)
        problems.push(`the clean run listed ${clean.users} of ${tenant.count} users`);
    }
    const consistency = await consistencyProblems(store);
    problems.push(...consistency.map((line) => `after the clean run: ${line}`));
    for (const line of consistency)
      if (/blob missing|blob [0-9a-f]{64} ≠ Graph/.test(line)) lostUsers.add(line.split(':')[0]);

    const runs = await api.runs();
    const running = runs.filter((run) => run.status === 'running');
    if (running.length > 0)
      problems.push(
        `${running.length} runs left running (${running.map((run) => run.runId).join(', ')}): a run whose host was killed must end failed/interrupted within 15 minutes of its last progress`,
      );
    const summary = {
      users: options.users,
      syncs: options.syncs,
      seed: options.seed,
      kills: kills.length,
      killsSurvived: kills.length,
      killsByPhase: Object.fromEntries(
        (['planning', 'jobs', 'blobWrite', 'redelivery'] as const).map((phase) => [
          phase,
          kills.filter((kill) => kill.phase === phase).length,
        ]),
      ),
      killsBetweenBlobAndRecord: kills.filter((kill) => kill.blobsAheadOfRecords > 0).length,
      runsStarted: startedRuns.length + (clean === undefined ? 0 : 1),
      syncsRefused: refused,
      runsCompleted: runs.filter((run) => run.status === 'completed').length,
      interruptedRunsClosed: runs.filter(
        (run) => run.status === 'failed' && INTERRUPTED_CODES.includes(run.error?.code ?? ''),
      ).length,
      runsLeftRunning: running.length,
      photosLost: lostUsers.size,
      cleanRun:
        clean === undefined ? null : { runId: clean.runId, status: clean.status, photos: clean.photos },
      problems: problems.length,
      wallSeconds: Math.round(performance.now() - startedAt) / 1000,
    };
    write('');
    write(`kills survived: ${summary.killsSurvived} (${JSON.stringify(summary.killsByPhase)})`);
    write(`kills between a blob write and its record write: ${summary.killsBetweenBlobAndRecord}`);
    write(`runs completed: ${summary.runsCompleted}`);
    write(`interrupted runs closed: ${summary.interruptedRunsClosed}`);
    write(`runs left running: ${summary.runsLeftRunning}`);
    write(`photos lost: ${summary.photosLost}`);
    for (const line of problems.slice(0, 50)) write(`PROBLEM ${line}`);
    if (problems.length > 50) write(`… and ${problems.length - 50} more problems`);
    for (const userId of [...new Set(problems.flatMap((line) => line.match(USER_ID) ?? []))].slice(0, 3))
      for (const line of await photoHistory(api, userId)) write(line);
    write(problems.length === 0 ? 'All invariants hold.' : `${problems.length} invariant violations.`);
    write(JSON.stringify(summary));
    process.exitCode = problems.length === 0 ? 0 : 1;
  } finally {
    await cleanUp();
  }
}

/** A user's photo log, oldest first, for a problem to be traced back to the runs that made it. */
async function photoHistory(api: HostApi, userId: string): Promise<string[]> {
  const answer = await api.call('GET', `users/${userId}/photo/log`);
  const events = (answer.body as { events?: Array<Record<string, unknown>> }).events ?? [];
  return events
    .reverse()
    .map(
      (event) =>
        `  ${userId} ${String(event.at)} run ${String(event.runId)}: ${String(event.result)} ${JSON.stringify(event.reason ?? event.error ?? '')}`,
    );
}

/** Until the queues hold no message, visible or taken; false when `timeoutMs` passed first. */
async function untilEmpty(
  queues: ReadonlyArray<Pick<QueueClient, 'getProperties'>>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(
      queues.map(async (queue) => (await queue.getProperties()).approximateMessagesCount ?? 0),
    );
    if (counts.every((count) => count === 0)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
}

/** Until the queue shows no message: the host took the run request, and planning began. */
async function untilTaken(queue: Pick<QueueClient, 'peekMessages'>): Promise<void> {
  while ((await queue.peekMessages()).peekedMessageItems.length > 0) await sleep(20);
}

/**
 * What happens to photos between two runs: `changed` of them uploaded anew (some with identical
 * bytes), one removed and one added back.
 */
function changePhotos(tenant: SimulatedTenant, random: SeededRandom, changed: number, seed: number): void {
  tenant.mutate({ changed, seed });
  const users = tenant.users();
  const withPhoto = users.filter((user) => tenant.photoMetadataOf(user.id) !== null);
  const withoutPhoto = users.filter((user) => tenant.photoMetadataOf(user.id) === null);
  if (withPhoto.length > 0) tenant.removePhoto(random.pick(withPhoto).id);
  if (withoutPhoto.length > 0) tenant.addPhoto(random.pick(withoutPhoto).id);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `chaos failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
});
