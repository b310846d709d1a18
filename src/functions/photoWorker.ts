import { app } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { queueTrigger } from '../app/queueTrigger';
import { forDelivery, parsePhotoJob } from '../domain/PhotoJob';
import { processPhotoJob } from '../sync/processPhotoJob';
import { photoWorkerDeps } from '../sync/SyncDeps';

/** One photo job per message (docs/design.md, "A run"). */
const trigger = queueTrigger('photoJobs', parsePhotoJob, async (job, context) => {
  const delivery = Number(context.triggerMetadata?.dequeueCount ?? 1);
  await processPhotoJob(forDelivery(job, delivery), photoWorkerDeps(await getServices(), context));
});

export const photoWorkerHandler = trigger.handler;

app.storageQueue('photoWorker', trigger);
