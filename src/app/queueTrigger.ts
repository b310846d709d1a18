import type { InvocationContext, StorageQueueFunctionOptions } from '@azure/functions';
import type { ParseResult } from '../domain/parseMessage';
import { QUEUE_BINDINGS, type QueueNames } from '../storage/StorageNames';
import { SyncLog } from '../sync/SyncLog';

export type QueueMessageHandler = (message: unknown, context: InvocationContext) => Promise<void>;

/**
 * A queue trigger on one of the app's queues. A message that does not parse is refused whole and
 * completed: retrying cannot make it valid, and none of its ids is used anywhere.
 */
export function queueTrigger<T>(
  queue: keyof QueueNames,
  parse: (message: unknown) => ParseResult<T>,
  handle: (message: T, context: InvocationContext) => Promise<void>,
): StorageQueueFunctionOptions & { handler: QueueMessageHandler } {
  return {
    queueName: QUEUE_BINDINGS[queue],
    connection: 'AzureWebJobsStorage',
    handler: async (message, context) => {
      const parsed = parse(message);
      if (!parsed.ok) {
        new SyncLog(context).write('error', 'messageRefused', { queue, reason: parsed.reason });
        return;
      }
      await handle(parsed.value, context);
    },
  };
}
