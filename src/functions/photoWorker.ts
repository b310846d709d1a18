import { app, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { parsePhotoJob } from '../domain/PhotoJob';
import { processPhotoJob } from '../sync/PhotoWorker';
import { photoWorkerDeps } from '../sync/SyncDeps';
import { SyncLog } from '../sync/SyncLog';

/**
 * One photo job per message (SPEC §2.2). A message that is not a valid photo job is refused whole
 * and completed: retrying cannot make it valid, and none of its ids is used anywhere.
 */
export async function photoWorkerHandler(message: unknown, context: InvocationContext): Promise<void> {
  const job = parsePhotoJob(message);
  if (!job.ok) {
    new SyncLog(context).write('error', 'messageRefused', { queue: 'photoJobs', reason: job.reason });
    return;
  }
  await processPhotoJob(job.value, photoWorkerDeps(await getServices(), context));
}

app.storageQueue('photoWorker', {
  queueName: '%PHOTO_QUEUE%',
  connection: 'AzureWebJobsStorage',
  handler: photoWorkerHandler,
});
