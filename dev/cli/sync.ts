/**
 * `npm run sync`: one whole run, to its end, against the configured stores, with a progress bar
 * and a summary. The app's own planner opens and plans the run here, and its own queue functions
 * work through the photo jobs in this process, as a Functions host would. Where it would start a
 * store or a demo tenant of its own while `npm start` runs here, the run is that host's instead
 * (syncThroughHost).
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { InvocationContext, type LogHandler, type LogLevel } from '@azure/functions';
import { createServices, useServices, type AppServices } from '../../src/app/AppServices';
import { describeConfig, loadConfig } from '../../src/config/AppConfig';
import { ConfigError } from '../../src/config/ConfigError';
import type { Run } from '../../src/domain/Run';
import { planRun } from '../../src/sync/planRun';
import { startRun } from '../../src/sync/startRun';
import { plannerDeps } from '../../src/sync/SyncDeps';
import { SyncLog } from '../../src/sync/SyncLog';
import { loadFunctions, type RegisteredFunction } from '../host/FunctionRegistry';
import { readQueueSettings } from '../host/HostSettings';
import { LocalEnvironment } from '../host/LocalEnvironment';
import { failedUsersOfRun, storedFailures } from './failedUsersOfRun';
import { QueueWorkers } from './QueueWorkers';
import { formatRunSummary } from './formatRunSummary';
import { runJson } from './runJson';
import { SyncProgress } from './SyncProgress';
import { findRunningHost } from './findRunningHost';
import { photoSyncOffNotice } from './photoSyncOffNotice';
import { syncThroughHost, type HostSyncOptions } from './syncThroughHost';

const projectRoot = resolve(__dirname, '..', '..', '..');
const POLL_MS = 250;
/** The host's PORT when none is set (src/config/AppConfig.ts). */
const DEFAULT_PORT = 7071;

const USAGE = `Usage: npm run sync -- [--photos] [--json] [--verbose]   (or: node dist/dev/cli/sync.js ...)

Runs one whole photo sync, to its end, against the configured stores (local.settings.json
Values, then the environment). Without storage configured it uses Azurite in memory, without a
Graph credential or GRAPH_BASE_URL the demo tenant, as npm start does. Where it would start
either and npm start runs on this machine (on PORT, 7071 by default), the run is that host's,
through its HTTP API: its storage, its demo tenant; a run in progress there is followed.

  --photos     turn userPhotos and syncUserPhotos on first (both start off on a fresh store)
  --json       print the run as GET /api/runs/{runId} returns it, as the last line of stdout
  --verbose    print every function log line (stderr; not through a running host)
  -h, --help   print this help

Exit code: 0 when the run completed, 1 when it failed or could not run, 2 for a usage error,
130 when Ctrl-C interrupted it.`;

interface SyncOptions extends HostSyncOptions {
  verbose: boolean;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const note = (line: string): void => void process.stderr.write(`${line}\n`);

/** Only what needs a person's attention reaches the terminal: per-user results go to the summary. */
function worthShowing(level: LogLevel, message: string): boolean {
  if (level !== 'warning' && level !== 'error' && level !== 'critical') return false;
  try {
    const entry = JSON.parse(message) as { event?: unknown; userId?: unknown };
    return entry.userId === undefined && entry.event !== 'runSummary';
  } catch {
    return true;
  }
}

/** Follows the run until it ends; returns at once when Ctrl-C interrupts the wait. */
async function waitForRun(
  services: AppServices,
  runId: string,
  progress: SyncProgress,
  planning: Promise<unknown>,
  interrupted: AbortSignal,
): Promise<Run | 'interrupted'> {
  let planningError: unknown;
  planning.catch((error: unknown) => (planningError = error));
  const interruption = new Promise<'interrupted'>((resolveInterruption) => {
    if (interrupted.aborted) resolveInterruption('interrupted');
    interrupted.addEventListener('abort', () => resolveInterruption('interrupted'), { once: true });
  });
  for (;;) {
    if (planningError !== undefined) throw planningError;
    const run = await Promise.race([services.runs.get(runId), interruption]);
    if (run === 'interrupted') return run;
    if (run === undefined) throw new Error(`run ${runId} is not in the run table any more`);
    progress.show(run);
    if (run.status !== 'running') return run;
    if ((await Promise.race([sleep(POLL_MS), interruption])) === 'interrupted') return 'interrupted';
  }
}

/**
 * Ctrl-C does not wait for photo jobs in flight: the queue delivers them again when their lease
 * runs out, as when a Functions host stops. A run whose listing was cut short is closed as failed,
 * so it does not show as running for ever.
 */
async function interrupt(
  services: AppServices,
  runId: string,
  planned: boolean,
  inMemory: boolean,
): Promise<number> {
  if (inMemory) {
    note(`Interrupted: run ${runId} is gone with the in-memory storage.`);
  } else if (!planned) {
    await services.runs.finishPlanning(runId, {
      code: 'planningInterrupted',
      message:
        'npm run sync was interrupted while listing users; the photo jobs it had enqueued still run. Start a new run.',
    });
    note(
      `Interrupted while listing users: run ${runId} is closed as failed (planningInterrupted); the photo jobs it enqueued stay on the queue for the next host.`,
    );
  } else {
    note(
      `Interrupted: run ${runId} is planned; its remaining photo jobs stay on the queue and complete it when a host (npm start, the Function App, npm run sync) processes them.`,
    );
  }
  return 130;
}

async function sync(
  local: LocalEnvironment,
  options: SyncOptions,
  interrupted: AbortSignal,
): Promise<number> {
  const config = loadConfig(local.env);
  const described = describeConfig(config);
  note(`Storage: ${described.storage}; Graph: ${described.graphBaseUrl} (${described.graphCredential})`);
  const services = await createServices({ env: local.env });
  useServices(Promise.resolve(services));
  const functions: RegisteredFunction[] = loadFunctions(projectRoot);

  let progress: SyncProgress | undefined;
  const logHandler =
    (functionName: string): LogHandler =>
    (level, ...args) => {
      const message = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
      // After Ctrl-C, what work in flight says as storage goes away is noise.
      if (interrupted.aborted || (!options.verbose && !worthShowing(level, message))) return;
      const line = `${functionName} ${level}: ${message}`;
      if (progress !== undefined) progress.log(line);
      else note(line);
    };
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: 'sync',
    logHandler: logHandler('sync'),
  });

  const workers = await QueueWorkers.start(functions, {
    config,
    appSettings: { ...local.env, PHOTO_QUEUE: config.photoQueue },
    settings: readQueueSettings(projectRoot),
    logHandler,
  });
  if (options.photos) {
    await services.settings.update(
      { userPhotos: true, syncUserPhotos: true },
      undefined,
      'npm run sync --photos',
    );
    note('--photos: userPhotos and syncUserPhotos are on.');
  }
  const start = await startRun('manual', {
    settings: services.settings,
    runs: services.runs,
    log: new SyncLog(context),
  });
  // One run at a time: a run in progress (a host's timer, POST /api/sync) is followed to its end
  // instead, its photo jobs helped along by this process's workers.
  const runId = start.kind === 'started' ? start.run.runId : start.runId;
  if (start.kind === 'busy')
    note(`Run ${runId} is in progress, started elsewhere: following it instead of starting another.`);
  else {
    note(`Run ${runId} started.`);
    if (!start.run.photoSyncActive)
      note(photoSyncOffNotice(await services.settings.read(), { inMemory: local.inMemory }));
  }
  const bar = new SyncProgress(process.stderr);
  progress = bar;
  let planned = start.kind === 'busy';
  const planning =
    start.kind === 'started'
      ? planRun(start.run, plannerDeps(services, context)).then(() => void (planned = true))
      : Promise.resolve();
  const run = await waitForRun(services, runId, progress, planning, interrupted).finally(() => bar.stop());
  if (run === 'interrupted') return interrupt(services, runId, planned, local.inMemory);
  await workers.stop();

  const failures =
    run.photos.failed > 0 ? await failedUsersOfRun(storedFailures(services.identities, run.runId)) : [];
  out('');
  for (const line of formatRunSummary(run, failures)) out(line);
  if (options.json) out(await runJson(functions, run.runId, logHandler('runs')));
  return run.status === 'completed' ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  let options: SyncOptions;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', short: 'v', default: false },
        photos: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      out(USAGE);
      return 0;
    }
    options = { json: values.json, verbose: values.verbose, photos: values.photos };
  } catch (error) {
    note(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }

  // A second Ctrl-C gets Node's default: the process ends at once.
  const interruption = new AbortController();
  process.once('SIGINT', () => interruption.abort());
  const env = LocalEnvironment.settings(projectRoot);
  // A store or tenant of its own would not be the running npm start's: that host does the run.
  if (LocalEnvironment.needsStandIns(env)) {
    const hostUrl = await findRunningHost(portSetting(env));
    if (hostUrl !== undefined) return syncThroughHost(hostUrl, options, interruption.signal, { out, note });
  }
  const local = await LocalEnvironment.start({ projectRoot, env, write: note, azuriteWellKnownPorts: false });
  try {
    return await sync(local, options, interruption.signal);
  } finally {
    // Only Azurite, a child process, would outlive this one. The demo simulator ends with it; after
    // Ctrl-C or a failure, Graph calls still in flight would hold a graceful stop of it up.
    await local.azurite?.stop();
  }
}

/** PORT as the host reads it; a malformed one is reported by the configuration, later. */
function portSetting(env: Record<string, string | undefined>): number {
  return z.coerce
    .number()
    .int()
    .min(1)
    .max(65535)
    .catch(DEFAULT_PORT)
    .parse(env.PORT || DEFAULT_PORT);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    note(
      error instanceof ConfigError
        ? error.message
        : `Sync failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);
