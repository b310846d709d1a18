import type { NaiveResult } from './naiveSync';
import type { RunFigures } from './measureRun';
import type { RunSummary } from './SyncPipeline';

/** What was changed in the tenant before a run: the photos whose bytes a sync must fetch. */
export interface TenantChange {
  /** New bytes. */
  photos: number;
  /** Identical bytes uploaded again: new ETag, so they are downloaded, but no blob is written. */
  reuploads: number;
  /** Bytes of both, as Graph serves them. */
  bytes: number;
}

export interface PipelineRunReport extends RunFigures {
  users: number;
  outcomes: RunSummary['photos'];
  status: RunSummary['status'];
  planningSeconds: number;
  photoJobs: number;
  meanJobsInFlight: number;
  problems: Record<string, number>;
  changed?: TenantChange;
}

export interface NaiveRunReport extends RunFigures {
  users: number;
  outcomes: Omit<NaiveResult, 'users'>;
  concurrency: number;
  changed?: TenantChange;
}

export interface BenchSettings {
  users: number;
  latencyMs: number;
  changed: number;
  throttleRps: number | undefined;
  /** Photo jobs in flight at once, at most: host.json's queue batchSize + newBatchThreshold. */
  graphConcurrency: number;
  /** `--scope-members`: photo sync scoped to a group of the first N users. */
  scopeMembers: number | undefined;
}

export interface BenchRuns {
  cold: PipelineRunReport;
  steady: PipelineRunReport;
  naive: NaiveRunReport;
  /** One user at a time on empty stores, over a sample of the tenant: the cold-run yardstick. */
  serial: NaiveRunReport;
}

const ratio = (numerator: number, denominator: number): number | null =>
  denominator > 0 ? round(numerator / denominator) : null;

function round(value: number): number {
  return Number(value.toPrecision(4));
}

/**
 * The least time the throttle allows for a run's photo requests: the bucket starts with one
 * second's worth of tokens, then grants `rps` a second. Rejected (429) requests take no token.
 */
function throttleLimitSeconds(run: RunFigures, rps: number | undefined): number {
  if (rps === undefined) return 0;
  const granted =
    run.graph.batchItems + run.graph.directMetadata + run.graph.directValue - run.graph.throttled;
  return Math.max(0, granted - rps) / rps;
}

export function computeRatios(settings: BenchSettings, runs: BenchRuns): Record<string, number | null> {
  const { cold, steady, naive, serial } = runs;
  const steadyLimitSeconds =
    (steady.graph.batchCalls / settings.graphConcurrency) * (settings.latencyMs / 1000);
  const ratios: Record<string, number | null> = {
    graphRequestsPerUserSteady: ratio(steady.graph.requests, steady.users),
    graphRequestsPerUserNaive: ratio(naive.graph.requests, naive.users),
    downloadBytesOverChangedBytes: ratio(steady.graph.photoBytes, steady.changed?.bytes ?? 0),
    steadyBlobWritesOverChangedPhotos: ratio(steady.storage.blobWrites, steady.changed?.photos ?? 0),
    steadyWallNaiveOverOurs: ratio(naive.wallSeconds, steady.wallSeconds),
    steadyLimitSeconds: round(steadyLimitSeconds),
    steadyWallOverLimit: ratio(steady.wallSeconds, steadyLimitSeconds),
    coldThroughputOverSerial: ratio(cold.users / cold.wallSeconds, serial.users / serial.wallSeconds),
    steadyTableOpsPerUser: ratio(steady.storage.tableOps, steady.users),
    steadyEntityWritesPerUser: ratio(steady.storage.tableEntityWrites, steady.users),
    steadyPlanningSeconds: round(steady.planningSeconds),
    steadyBlobOpsPerUser: ratio(steady.storage.blobOps, steady.users),
    steadyQueueSendsPerUser: ratio(steady.storage.queueSends, steady.users),
    graphBytesNaiveOverOurs: ratio(naive.graph.photoBytes, steady.graph.photoBytes),
  };
  if (settings.throttleRps !== undefined) {
    ratios.coldWallOverThrottleLimit = ratio(
      cold.wallSeconds,
      throttleLimitSeconds(cold, settings.throttleRps),
    );
    ratios.steadyWallOverThrottleLimit = ratio(
      steady.wallSeconds,
      throttleLimitSeconds(steady, settings.throttleRps),
    );
    ratios.earlyRequests = cold.graph.earlyRequests + steady.graph.earlyRequests;
  }
  return ratios;
}

/** The human-readable part of the report: one column per run. */
export function formatTable(runs: BenchRuns): string[] {
  const columns: Array<[string, RunFigures & { users: number }]> = Object.entries(runs);
  const rows: Array<[string, (run: RunFigures & { users: number }) => string]> = [
    ['users', (r) => String(r.users)],
    ['wall seconds', (r) => r.wallSeconds.toFixed(2)],
    ['users / second', (r) => (r.users / r.wallSeconds).toFixed(0)],
    ['Graph requests', (r) => String(r.graph.requests)],
    ['  list pages', (r) => String(r.graph.listPages)],
    ['  $batch calls', (r) => String(r.graph.batchCalls)],
    ['  $batch items', (r) => String(r.graph.batchItems)],
    ['  direct metadata', (r) => String(r.graph.directMetadata)],
    ['  direct $value', (r) => String(r.graph.directValue)],
    ['photo bytes downloaded', (r) => String(r.graph.photoBytes)],
    ['429 answers', (r) => String(r.graph.throttled)],
    ['early requests', (r) => String(r.graph.earlyRequests)],
    ['blob writes', (r) => String(r.storage.blobWrites)],
    ['blob operations', (r) => String(r.storage.blobOps)],
    ['table operations', (r) => String(r.storage.tableOps)],
    ['table entities written', (r) => String(r.storage.tableEntityWrites)],
    ['queue messages sent', (r) => String(r.storage.queueSends)],
    ['queue operations', (r) => String(r.storage.queueOps)],
    ['failed storage requests', (r) => String(r.storage.failedRequests)],
    ['peak RSS MiB', (r) => r.peakRssMb.toFixed(0)],
    ['CPU s: app', (r) => r.cpuSeconds.app.toFixed(1)],
    ['CPU s: Azurite', (r) => r.cpuSeconds.azurite?.toFixed(1) ?? '-'],
    ['CPU s: simulator', (r) => r.cpuSeconds.simulator?.toFixed(1) ?? '-'],
  ];
  const cells = [
    ['', ...columns.map(([name]) => name)],
    ...rows.map(([label, cell]) => [label, ...columns.map(([, run]) => cell(run))]),
  ];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
  );
}
