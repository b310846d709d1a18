import type { LogHandler, LogLevel, InvocationContext, Timer } from '@azure/functions';
import type { AppConfig } from '../../src/config/AppConfig';
import { createCredential } from '../../src/app/AppCredential';
import { createQueueServiceClient } from '../../src/storage/StorageClients';
import { loadFunctions, type RegisteredFunction } from './FunctionRegistry';
import { readQueueSettings, type QueueSettings } from './HostSettings';
import { HttpServer } from './HttpServer';
import type { QueueRunner } from './QueueRunner';
import { queueRunnersFor } from './queueRunnersFor';
import { resolveBindingExpression } from './resolveBindingExpression';
import { TimerScheduler } from './TimerScheduler';

export interface LocalHostOptions {
  projectRoot: string;
  config: AppConfig;
  /** App settings for `%NAME%` binding expressions, as the Functions host resolves them. */
  appSettings: Record<string, string | undefined>;
  port: number;
  /** Where every line goes: the host's own and the functions' logs. */
  write: (line: string) => void;
  /** Also sees every function log line (the demo tenant listens for `runStarted`). */
  onLog?: (level: LogLevel, message: string) => void;
  /** Log levels printed; the Functions host prints information and above by default. */
  verbose?: boolean;
  queueSettings?: QueueSettings;
  timers?: boolean;
  /**
   * The app's functions, when the caller loaded them itself (a test that stands in for the worker
   * module under Jest); otherwise they are loaded from the build, as the Functions runtime does.
   */
  functions?: RegisteredFunction[];
}

const LEVELS: Record<LogLevel, number> = {
  trace: 0,
  debug: 1,
  information: 2,
  warning: 3,
  error: 4,
  critical: 5,
  none: 6,
};

/**
 * The app, served as the Functions runtime serves it, from the functions it registers: HTTP
 * routes, timers on their schedules and queue triggers with host.json's settings.
 */
export class LocalHost {
  private constructor(
    readonly url: string,
    readonly functions: RegisteredFunction[],
    private readonly http: HttpServer,
    private readonly timers: TimerScheduler[],
    private readonly queues: QueueRunner[],
  ) {}

  static async start(options: LocalHostOptions): Promise<LocalHost> {
    const functions = options.functions ?? loadFunctions(options.projectRoot);
    const queueSettings = options.queueSettings ?? readQueueSettings(options.projectRoot);
    const stamp = (): string => `[${new Date().toISOString()}]`;
    const hostLine = (line: string): void => options.write(`${stamp()} ${line}`);
    const logHandler =
      (functionName: string): LogHandler =>
      (level, ...args) => {
        const message = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
        options.onLog?.(level, message);
        if (options.verbose === true || LEVELS[level] >= LEVELS.information)
          options.write(`${stamp()} ${functionName} ${level}: ${message}`);
      };

    const http = new HttpServer(functions, logHandler, hostLine);
    const timers = functions
      .filter((fn) => fn.trigger.type === 'timerTrigger')
      .map(
        (fn) =>
          new TimerScheduler(
            fn.name,
            resolveBindingExpression(String(fn.trigger.schedule), options.appSettings),
            fn.handler as (timer: Timer, context: InvocationContext) => Promise<unknown>,
            logHandler(fn.name),
            hostLine,
          ),
      );
    const queues = await queueRunnersFor(functions, {
      service: createQueueServiceClient(options.config, createCredential(options.config)),
      appSettings: options.appSettings,
      settings: queueSettings,
      logHandler,
    });

    const port = await http.listen(options.port);
    for (const queue of queues) queue.start();
    if (options.timers !== false) for (const timer of timers) timer.start();
    return new LocalHost(`http://localhost:${port}`, functions, http, timers, queues);
  }

  describe(): string[] {
    const lines = ['Functions:'];
    for (const route of this.http.routes)
      lines.push(`  ${route.name}: [${route.methods.join(',')}] ${this.url}/api/${route.route}`);
    for (const timer of this.timers)
      lines.push(`  ${timer.functionName}: timerTrigger, next run ${timer.next().toISOString()}`);
    for (const queue of this.queues) lines.push(`  ${queue.functionName}: queueTrigger (${queue.queueName})`);
    return lines;
  }

  async stop(): Promise<void> {
    await this.http.close();
    await Promise.all([
      ...this.timers.map((timer) => timer.stop()),
      ...this.queues.map((queue) => queue.stop()),
    ]);
  }
}
