import type { QueueClient } from '@azure/storage-queue';

/**
 * Keeps a received message hidden while its handler runs, as the Functions host does: the lease is
 * renewed at half its length, so a planning longer than one lease is not delivered a second time
 * beside itself. Each renewal hands back a new pop receipt, which the delete and the retry then need.
 */
export class MessageLease {
  private readonly timer: NodeJS.Timeout;
  private renewing: Promise<void> = Promise.resolve();

  constructor(
    private readonly queue: Pick<QueueClient, 'updateMessage'>,
    private readonly messageId: string,
    private receipt: string,
    private readonly seconds: number,
    private readonly onLost: (reason: string) => void,
  ) {
    this.timer = setInterval(
      () => {
        this.renewing = this.renew();
      },
      (seconds * 1000) / 2,
    );
    this.timer.unref();
  }

  get popReceipt(): string {
    return this.receipt;
  }

  /** No more renewals; one in flight is waited for, since its answer is the receipt that now counts. */
  async end(): Promise<void> {
    clearInterval(this.timer);
    await this.renewing;
  }

  private async renew(): Promise<void> {
    try {
      const renewed = await this.queue.updateMessage(this.messageId, this.receipt, undefined, this.seconds);
      if (renewed.popReceipt !== undefined) this.receipt = renewed.popReceipt;
    } catch (error) {
      // As in Azure: a lease not renewed runs out, and the queue delivers the message again.
      clearInterval(this.timer);
      this.onLost(error instanceof Error ? error.message : String(error));
    }
  }
}
