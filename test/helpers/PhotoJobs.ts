import { decodeQueueMessage } from '../../dev/host/QueueRunner';
import { parsePhotoJob, type PhotoJob } from '../../src/domain/PhotoJob';
import { photoWorkerHandler } from '../../src/functions/photoWorker';
import type { TestEnvironment } from './TestEnvironment';

/** The photo jobs waiting on the queue (after `planOnly`), as the planner sent them. */
export async function queuedPhotoJobs(t: TestEnvironment): Promise<PhotoJob[]> {
  const peeked = await t.services.storage.queues.photoJobs.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((item) => {
    const job = parsePhotoJob(decodeQueueMessage(item.messageText));
    if (!job.ok) throw new Error(`the planner queued a message that is not a photo job: ${job.reason}`);
    return job.value;
  });
}

/** Two workers hold every job (and so the same users) at once. */
export async function processEachTwiceAtOnce(t: TestEnvironment, jobs: readonly PhotoJob[]): Promise<void> {
  await Promise.all(
    jobs.flatMap((job) => [
      photoWorkerHandler(job, t.context('photoWorker')),
      photoWorkerHandler(job, t.context('photoWorker')),
    ]),
  );
}
