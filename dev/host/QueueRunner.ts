import { randomUUID } from 'node:crypto';
import { InvocationContext, type LogHandler } from '@azure/functions';
import type { DequeuedMessageItem, QueueClient, QueueServiceClient } from '@azure/storage-queue';
import { poisonQueueOf } from '../../src/storage/StorageNames';
import type { QueueSettings } from './HostSettings';
import { MessageLease } from './MessageLease';

export type QueueHandler = (message: unknown, context: InvocationContext) => Promise<unknown>;

export interface QueueRunnerOptions {
  functionName: string;
  queue: QueueClient;
  /** Where a message goes after `maxDequeueCount` failed deliveries: `<queue>-poison`. */
  poison: QueueClient;
  handler: QueueHandler;
  settings: QueueSettings;
  logHandler: LogHandler;
  /** How long a received message stays hidden before its lease is renewed (tests shorten it). */
  leaseSeconds?: number;
}

/** How long a message stays hidden while its handler runs (the Functions host renews a 10-minute lease). */
const LEASE_SECONDS = 600;

/** The message as the Functions runtime hands it over: base64 decoded, JSON parsed when it is JSON. */
export function decodeQueueMessage(text: string): unknown {
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  const body = Buffer.from(decoded, 'utf8').toString('base64') === text.replace(/\s/g, '') ? decoded : text;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/**
 * A queue trigger as the Functions host runs one: batches of `batchSize` messages, a new batch
 * whenever in-flight work is at or below `newBatchThreshold`, a failed message hidden for
 * `visibilityTimeout` and retried, moved to the poison queue after `maxDequeueCount` deliveries,
 * and polling that backs off to `maxPollingInterval` while the queue is empty.
 */
export class QueueRunner {
  private inFlight = new Set<Promise<void>>();
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly options: QueueRunnerOptions) {}

  /** A runner for `queueName` whose failures go to `<queueName>-poison`, as the host's do. */
  static forQueue(
    service: QueueServiceClient,
    queueName: string,
    options: Omit<QueueRunnerOptions, 'queue' | 'poison'>,
  ): QueueRunner {
    const queue = service.getQueueClient(queueName);
    return new QueueRunner({ ...options, queue, poison: service.getQueueClient(poisonQueueOf(queueName)) });
  }

  get functionName(): string {
    return this.options.functionName;
  }

  get queueName(): string {
    return this.options.queue.name;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.poll();
  }

  /** Lets in-flight messages finish; takes no new ones. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await Promise.all(this.inFlight);
  }

  /** Processes what is visible now, batch by batch, until a receive comes back empty. */
  async drain(): Promise<number> {
    let processed = 0;
    for (;;) {
      const count = await this.receiveBatch(this.options.settings.batchSize);
      await Promise.all(this.inFlight);
      if (count === 0) return processed;
      processed += count;
    }
  }

  /**
   * As the Functions host polls: whole batches of `batchSize` while in-flight work is at or below
   * `newBatchThreshold`, so up to `batchSize + newBatchThreshold` messages are processed at once;
   * above it, the next look comes when a message is done.
   */
  private async poll(): Promise<void> {
    const { batchSize, newBatchThreshold, maxPollingIntervalMs } = this.options.settings;
    let idleMs = 100;
    while (!this.stopped) {
      let received = 0;
      if (this.inFlight.size <= newBatchThreshold) {
        try {
          received = await this.receiveBatch(batchSize);
        } catch (error) {
          this.log(
            'error',
            `Polling ${this.options.queue.name} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      idleMs = received > 0 ? 100 : Math.min(idleMs * 2, maxPollingIntervalMs);
      if (received === 0 && this.inFlight.size <= newBatchThreshold) await this.sleep(idleMs);
      else if (this.inFlight.size > newBatchThreshold) await this.untilOneIsDone();
    }
  }

  private untilOneIsDone(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      void Promise.race(this.inFlight).then(resolve);
    });
  }

  private async receiveBatch(count: number): Promise<number> {
    if (count <= 0) return 0;
    const response = await this.options.queue.receiveMessages({
      numberOfMessages: Math.min(32, count),
      visibilityTimeout: this.options.leaseSeconds ?? LEASE_SECONDS,
    });
    for (const message of response.receivedMessageItems) {
      const work = this.process(message).finally(() => this.inFlight.delete(work));
      this.inFlight.add(work);
    }
    return response.receivedMessageItems.length;
  }

  private async process(message: DequeuedMessageItem): Promise<void> {
    const { settings, queue, poison, functionName } = this.options;
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      logHandler: this.options.logHandler,
      triggerMetadata: {
        id: message.messageId,
        dequeueCount: message.dequeueCount,
        insertionTime: message.insertedOn.toISOString(),
        expirationTime: message.expiresOn.toISOString(),
        nextVisibleTime: message.nextVisibleOn.toISOString(),
        popReceipt: message.popReceipt,
      },
    });
    const leaseSeconds = this.options.leaseSeconds ?? LEASE_SECONDS;
    const lease = new MessageLease(queue, message.messageId, message.popReceipt, leaseSeconds, (reason) =>
      this.log('warning', `Could not renew the lease of message ${message.messageId}: ${reason}`),
    );
    try {
      await this.options.handler(decodeQueueMessage(message.messageText), context);
      await lease.end();
      await queue.deleteMessage(message.messageId, lease.popReceipt);
    } catch (error) {
      await lease.end();
      const reason = error instanceof Error ? error.message : String(error);
      try {
        if (message.dequeueCount >= settings.maxDequeueCount) {
          await poison.createIfNotExists();
          await poison.sendMessage(message.messageText);
          await queue.deleteMessage(message.messageId, lease.popReceipt);
          this.log(
            'error',
            `Message ${message.messageId} failed ${message.dequeueCount} times and was moved to ${poison.name}: ${reason}`,
          );
        } else {
          await queue.updateMessage(
            message.messageId,
            lease.popReceipt,
            undefined,
            Math.round(settings.visibilityTimeoutMs / 1000),
          );
          this.log(
            'warning',
            `Message ${message.messageId} failed (delivery ${message.dequeueCount} of ${settings.maxDequeueCount}); retried after the visibility timeout: ${reason}`,
          );
        }
      } catch (storageError) {
        // The lease runs out and the queue delivers the message again, as in Azure.
        this.log(
          'error',
          `Could not hand message ${message.messageId} back to ${queue.name}: ${storageError instanceof Error ? storageError.message : String(storageError)}`,
        );
      }
    }
  }

  private log(level: 'warning' | 'error', text: string): void {
    this.options.logHandler(
      level,
      JSON.stringify({ event: 'queueHost', function: this.options.functionName, reason: text }),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
