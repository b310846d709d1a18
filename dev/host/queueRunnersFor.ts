import type { LogHandler } from '@azure/functions';
import type { QueueServiceClient } from '@azure/storage-queue';
import type { RegisteredFunction } from './FunctionRegistry';
import { readLeaseSeconds, type QueueSettings } from './HostSettings';
import { resolveBindingExpression } from './resolveBindingExpression';
import { QueueRunner, type QueueHandler } from './QueueRunner';

export interface QueueRunnersOptions {
  service: QueueServiceClient;
  /** For the triggers' `%NAME%` queue names, as the Functions host resolves them. */
  appSettings: Record<string, string | undefined>;
  settings: QueueSettings;
  logHandler: (functionName: string) => LogHandler;
}

/** A runner for every queue trigger the app registered, its queue created; none started yet. */
export async function queueRunnersFor(
  functions: readonly RegisteredFunction[],
  options: QueueRunnersOptions,
): Promise<QueueRunner[]> {
  const leaseSeconds = readLeaseSeconds(options.appSettings);
  return Promise.all(
    functions
      .filter((fn) => fn.trigger.type === 'queueTrigger')
      .map(async (fn) => {
        const runner = QueueRunner.forQueue(
          options.service,
          resolveBindingExpression(String(fn.trigger.queueName), options.appSettings),
          {
            functionName: fn.name,
            handler: fn.handler as QueueHandler,
            settings: options.settings,
            logHandler: options.logHandler(fn.name),
            leaseSeconds,
          },
        );
        await options.service.getQueueClient(runner.queueName).createIfNotExists();
        return runner;
      }),
  );
}
