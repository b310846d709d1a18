import type { LogHandler, LogLevel, InvocationContext, Timer } from '@azure/functions';
import type { AppConfig } from '../../src/config/AppConfig';
import { createQueueServiceClient } from '../../src/storage/StorageClients';
import { loadFunctions, type RegisteredFunction } from './FunctionRegistry';
import { readQueueSettings, type QueueSettings } from './HostSettings';
import { HttpServer } from './HttpServer';
import { QueueRunner, type QueueHandler } from './QueueRunner';
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

export function resolveBindingExpression(
  value: string,
  settings: Record<string, string | undefined>,
): string {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_, key: string) => {
    const resolved = settings[key];
    if (resolved === undefined || resolved === '')
      throw new Error(`binding expression %${key}% has no app setting ${key}`);
    return resolved;
  });
}

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
    private readonly queueNames: Map<string, string>,
  ) {}

  static async start(options: LocalHostOptions): Promise<LocalHost> {
    const functions = loadFunctions(options.projectRoot);
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
    const queueService = createQueueServiceClient(options.config);
    const queueNames = new Map<string, string>();
    const queues = await Promise.all(
      functions
        .filter((fn) => fn.trigger.type === 'queueTrigger')
        .map(async (fn) => {
          const name = resolveBindingExpression(String(fn.trigger.queueName), options.appSettings);
          queueNames.set(fn.name, name);
          const queue = queueService.getQueueClient(name);
          const poison = queueService.getQueueClient(`${name}-poison`);
          await queue.createIfNotExists();
          return new QueueRunner({
            functionName: fn.name,
            queue,
            poison,
            handler: fn.handler as QueueHandler,
            settings: queueSettings,
            logHandler: logHandler(fn.name),
          });
        }),
    );

    const port = await http.listen(options.port);
    for (const queue of queues) queue.start();
    if (options.timers !== false) for (const timer of timers) timer.start();
    return new LocalHost(`http://localhost:${port}`, functions, http, timers, queues, queueNames);
  }

  describe(): string[] {
    const lines = ['Functions:'];
    for (const route of this.http.routes)
      lines.push(`  ${route.name}: [${route.methods.join(',')}] ${this.url}/api/${route.route}`);
    for (const timer of this.timers)
      lines.push(`  ${timer.functionName}: timerTrigger, next run ${timer.next().toISOString()}`);
    for (const [name, queue] of this.queueNames) lines.push(`  ${name}: queueTrigger (${queue})`);
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
