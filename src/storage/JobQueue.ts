import type { QueueClient } from '@azure/storage-queue';

/**
 * How long a message waits on the queue before the service drops it: the service's default, stated
 * because run bookkeeping relies on it.
 */
export const MESSAGE_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Sends JSON messages base64-encoded: the Functions queue trigger's default `messageEncoding`,
 * so the runtime (and the local host) hand the handler the parsed object.
 */
export class JobQueue<T> {
  constructor(private readonly queue: QueueClient) {}

  async send(message: T): Promise<void> {
    await this.queue.sendMessage(Buffer.from(JSON.stringify(message), 'utf8').toString('base64'), {
      messageTimeToLive: MESSAGE_TTL_SECONDS,
    });
  }

  get name(): string {
    return this.queue.name;
  }
}
