import type { QueueClient } from '@azure/storage-queue';

/**
 * Sends JSON messages base64-encoded: the Functions queue trigger's default `messageEncoding`,
 * so the runtime (and the local host) hand the handler the parsed object.
 */
export class JobQueue<T> {
  constructor(private readonly queue: QueueClient) {}

  async send(message: T): Promise<void> {
    await this.queue.sendMessage(Buffer.from(JSON.stringify(message), 'utf8').toString('base64'));
  }

  get name(): string {
    return this.queue.name;
  }
}
