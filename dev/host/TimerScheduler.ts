import { randomUUID } from 'node:crypto';
import { InvocationContext, type LogHandler, type Timer } from '@azure/functions';
import { nextScheduledRun } from '../../src/domain/Schedule';

/**
 * Runs a timer function on its six-field NCRONTAB schedule (seconds first), in UTC as the Functions
 * host does by default, passing the same `Timer` object.
 */
export class TimerScheduler {
  private timeout: NodeJS.Timeout | undefined;
  private last: Date | undefined;
  private running: Promise<void> | undefined;

  constructor(
    readonly functionName: string,
    private readonly schedule: string,
    private readonly handler: (timer: Timer, context: InvocationContext) => Promise<unknown>,
    private readonly logHandler: LogHandler,
    private readonly onInvocation: (line: string) => void,
  ) {
    // Fails at start-up, naming the schedule, rather than at the first tick.
    nextScheduledRun(schedule);
  }

  next(after = new Date()): Date {
    return nextScheduledRun(this.schedule, after);
  }

  start(): void {
    const due = this.next();
    // setTimeout holds at most ~24.8 days; a later tick re-arms on the way.
    const delay = Math.min(due.getTime() - Date.now(), 2 ** 31 - 1);
    this.timeout = setTimeout(
      () => {
        if (Date.now() >= due.getTime()) this.running = this.fire(due);
        this.start();
      },
      Math.max(0, delay),
    );
  }

  async stop(): Promise<void> {
    clearTimeout(this.timeout);
    await this.running;
  }

  private async fire(due: Date): Promise<void> {
    const invocationId = randomUUID();
    const timer: Timer = {
      schedule: { adjustForDST: true },
      isPastDue: Date.now() - due.getTime() > 10_000,
      scheduleStatus: {
        last: (this.last ?? due).toISOString(),
        next: this.next(due).toISOString(),
        lastUpdated: new Date().toISOString(),
      },
    };
    this.last = due;
    const started = Date.now();
    this.onInvocation(
      `Executing 'Functions.${this.functionName}' (Reason='Timer fired at ${due.toISOString()}', Id=${invocationId})`,
    );
    try {
      await this.handler(
        timer,
        new InvocationContext({ invocationId, functionName: this.functionName, logHandler: this.logHandler }),
      );
      this.onInvocation(
        `Executed 'Functions.${this.functionName}' (Succeeded, Id=${invocationId}, Duration=${Date.now() - started}ms)`,
      );
    } catch (error) {
      this.onInvocation(
        `Executed 'Functions.${this.functionName}' (Failed, Id=${invocationId}, Duration=${Date.now() - started}ms): ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
