import { app } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { queueTrigger } from '../app/queueTrigger';
import { parsePhotoJob } from '../domain/PhotoJob';
import { countOutcomes } from '../domain/PhotoOutcome';
import { photoFields } from '../storage/IdentityStore';
import { SyncLog } from '../sync/SyncLog';

/**
 * A photo job that failed every delivery the queue allows lands here. Its users are recorded as
 * `failed` (their stored photos untouched) and the job is counted, so its run still completes.
 */
const trigger = queueTrigger('photoJobsPoison', parsePhotoJob, async (job, context) => {
  const log = new SyncLog(context);
  const { runId, jobId, userIds } = job;
  const services = await getServices();
  const error = {
    code: 'jobFailed' as const,
    message:
      `The photo job failed on every delivery (see run ${runId} in the log); stored photos were ` +
      'kept. The next run tries again.',
  };
  const at = new Date();
  const fields = photoFields({ outcome: 'failed', action: 'none', error }, runId, at);
  await services.identities.writePhotoFields(userIds.map((userId) => ({ userId, fields })));
  await Promise.all(
    userIds.map((userId) =>
      services.events.append(userId, { at: at.toISOString(), runId, result: 'failed', reason: null, error }),
    ),
  );
  for (const userId of userIds) log.photoResult(runId, userId, 'failed', error.message, error);
  const completion = await services.runs.recordJobDone(
    runId,
    jobId,
    countOutcomes(userIds.map(() => 'failed' as const)),
    { poisoned: true },
  );
  log.write('error', 'photoJobPoisoned', { runId, jobId, users: userIds.length, reason: error.message });
  if (completion.finishedRun !== undefined) log.runSummary(completion.finishedRun);
});

export const photoJobPoisonHandler = trigger.handler;

app.storageQueue('photoJobPoison', trigger);
