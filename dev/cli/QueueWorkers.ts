import type { LogHandler } from '@azure/functions';
import type { AppConfig } from '../../src/config/AppConfig';
import { createQueueServiceClient } from '../../src/storage/StorageClients';
import type { RegisteredFunction } from '../host/FunctionRegistry';
import type { QueueSettings } from '../host/HostSettings';
import type { AppSettings } from '../host/LocalEnvironment';
import { resolveBindingExpression } from '../host/LocalHost';
import { QueueRunner, type QueueHandler } from '../host/QueueRunner';

export interface QueueWorkersOptions {
  config: AppConfig;
  /** For the triggers' `%NAME%` queue names, as the Functions host resolves them. */
  appSettings: AppSettings;
  settings: QueueSettings;
  logHandler: (functionName: string) => LogHandler;
}

/**
 * Every queue trigger the app registers, run in this process as the Functions host runs them
 * (batches, retries, poison queues): the CLI needs the workers of a host, not its HTTP side.
 */
export class QueueWorkers {
  private constructor(private readonly runners: QueueRunner[]) {}

  static async start(
    functions: readonly RegisteredFunction[],
    options: QueueWorkersOptions,
  ): Promise<QueueWorkers> {
    const service = createQueueServiceClient(options.config);
    const runners = await Promise.all(
      functions
        .filter((fn) => fn.trigger.type === 'queueTrigger')
        .map(async (fn) => {
          const name = resolveBindingExpression(String(fn.trigger.queueName), options.appSettings);
          const queue = service.getQueueClient(name);
          await queue.createIfNotExists();
          return new QueueRunner({
            functionName: fn.name,
            queue,
            poison: service.getQueueClient(`${name}-poison`),
            handler: fn.handler as QueueHandler,
            settings: options.settings,
            logHandler: options.logHandler(fn.name),
          });
        }),
    );
    for (const runner of runners) runner.start();
    return new QueueWorkers(runners);
  }

  /** Lets messages in flight finish; takes no new ones. */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }
}
