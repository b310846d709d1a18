import type { InvocationContext, LogHandler, LogLevel } from '@azure/functions';
import type { AppServices } from '../../src/app/AppServices';
import type { OutcomeCounts } from '../../src/domain/PhotoOutcome';
import type { Run } from '../../src/domain/Run';
import { startRun } from '../../src/sync/startRun';
import { SyncLog } from '../../src/sync/SyncLog';
import type { RegisteredFunction } from '../host/FunctionRegistry';
import type { QueueSettings } from '../host/HostSettings';
import { QueueRunner, type QueueHandler } from '../host/QueueRunner';

/** The run as its summary log entry tells it: reading it back from storage would count as the app's cost. */
export type RunSummary = Pick<Run, 'runId' | 'status' | 'users' | 'jobs'> & { photos: OutcomeCounts };

export interface PipelineResult {
  run: RunSummary;
  /** From the run request's arrival to the planner's return: listing, core attributes, enqueueing. */
  planningSeconds: number;
  photoJobs: number;
  /** Time-weighted mean of photo jobs being processed at once. */
  meanJobsInFlight: number;
  /** Warning and error log lines, counted by event. */
  problems: Record<string, number>;
}

/** A run that makes no progress for this long is reported as stuck rather than waited for forever. */
const STALL_LIMIT_MS = 5 * 60_000;

/**
 * One sync run the way production runs it: `POST /api/sync`'s two steps (open the run, enqueue its
 * run request), then the app's own queue functions — the handlers it registers, as the Functions
 * runtime finds them — driven as the host drives them (host.json's batch size and threshold),
 * until the run logs its summary.
 */
export class SyncPipeline {
  constructor(
    private readonly services: AppServices,
    private readonly queueSettings: QueueSettings,
    private readonly functions: readonly RegisteredFunction[],
  ) {}

  private handler(name: string): QueueHandler {
    const registered = this.functions.find((fn) => fn.name === name);
    if (registered === undefined) throw new Error(`the app registers no function ${name}`);
    return registered.handler as QueueHandler;
  }

  /** `onPlanned` hears the planning time as soon as planning ends: a long run stopped later keeps it. */
  async run(
    onUsersChecked: (users: number) => void,
    onPlanned: (seconds: number) => void = () => undefined,
  ): Promise<PipelineResult> {
    const problems: Record<string, number> = {};
    let finished: ((run: RunSummary) => void) | undefined;
    const summary = new Promise<RunSummary>((resolve) => (finished = resolve));
    let runId = '';
    const logHandler: LogHandler = (level: LogLevel, ...args: unknown[]) => {
      if (level !== 'warning' && level !== 'error' && level !== 'information') return;
      const text = args.map(String).join(' ');
      const event = /^\{"event":"([^"]+)"/.exec(text)?.[1] ?? 'queueHost';
      // Planning logs each page it lists: a long planning is progress too.
      if (runId !== '' && text.includes(`"runId":"${runId}"`)) lastProgress = performance.now();
      if (level !== 'information') problems[event] = (problems[event] ?? 0) + 1;
      if (event === 'runSummary' && text.includes(`"runId":"${runId}"`))
        finished?.(JSON.parse(text) as RunSummary);
    };

    let planning = { startedAt: 0, endedAt: 0 };
    const runRequests = this.handler('runRequests');
    const photoWorker = this.handler('photoWorker');
    const planner: QueueHandler = async (message, context) => {
      planning = { startedAt: performance.now(), endedAt: 0 };
      await runRequests(message, context);
      planning.endedAt = performance.now();
      onPlanned((planning.endedAt - planning.startedAt) / 1000);
    };

    let inFlight = 0;
    let photoJobs = 0;
    let area = 0;
    let since = performance.now();
    let lastProgress = since;
    const account = (delta: number): void => {
      const now = performance.now();
      area += inFlight * (now - since);
      since = now;
      inFlight += delta;
    };
    const worker: QueueHandler = async (message: unknown, context: InvocationContext) => {
      account(+1);
      try {
        await photoWorker(message, context);
      } finally {
        account(-1);
      }
      photoJobs++;
      lastProgress = performance.now();
      const userIds = (message as { userIds?: unknown[] }).userIds;
      onUsersChecked(Array.isArray(userIds) ? userIds.length : 0);
    };

    const queues = this.services.storage.queues;
    const settings = this.queueSettings;
    const runners = [
      new QueueRunner({
        functionName: 'runRequests',
        queue: queues.runRequests,
        poison: queues.runRequestsPoison,
        handler: planner,
        settings,
        logHandler,
      }),
      new QueueRunner({
        functionName: 'photoWorker',
        queue: queues.photoJobs,
        poison: queues.photoJobsPoison,
        handler: worker,
        settings,
        logHandler,
      }),
      new QueueRunner({
        functionName: 'photoJobPoison',
        queue: queues.photoJobsPoison,
        poison: queues.photoJobsPoison,
        handler: this.handler('photoJobPoison'),
        settings,
        logHandler,
      }),
    ];
    for (const runner of runners) runner.start();
    const startedAt = performance.now();
    let watchdog: NodeJS.Timeout | undefined;
    try {
      const log = new SyncLog({
        debug: () => undefined,
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      });
      const start = await startRun('manual', {
        settings: this.services.settings,
        runs: this.services.runs,
        log,
      });
      if (start.kind === 'busy') throw new Error(`run ${start.runId} is in progress: one run at a time`);
      runId = start.run.runId;
      await this.services.runRequests.send({ runId });
      const stalled = new Promise<never>((_, reject) => {
        watchdog = setInterval(() => {
          if (performance.now() - Math.max(lastProgress, planning.endedAt) > STALL_LIMIT_MS)
            reject(new Error(`run ${runId} made no progress for ${STALL_LIMIT_MS / 1000} s`));
        }, 1_000);
      });
      const done = await Promise.race([summary, stalled]);
      account(0);
      const elapsed = performance.now() - startedAt;
      return {
        run: done,
        planningSeconds: (planning.endedAt - planning.startedAt) / 1000,
        photoJobs,
        meanJobsInFlight: elapsed > 0 ? area / elapsed : 0,
        problems,
      };
    } finally {
      clearInterval(watchdog);
      await Promise.all(runners.map((runner) => runner.stop()));
    }
  }
}
