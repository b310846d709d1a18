import { app, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { parsePhotoJob } from '../domain/PhotoJob';
import { countOutcomes } from '../domain/PhotoOutcome';
import { SyncLog } from '../sync/SyncLog';

/**
 * A photo job that failed every delivery the queue allows lands here. Its users are recorded as
 * `failed` (their stored photos untouched) and the job is counted, so its run still completes.
 */
export async function photoJobPoisonHandler(message: unknown, context: InvocationContext): Promise<void> {
  const log = new SyncLog(context);
  const job = parsePhotoJob(message);
  if (!job.ok) {
    log.write('error', 'messageRefused', { queue: 'photoJobsPoison', reason: job.reason });
    return;
  }
  const { runId, jobId, userIds } = job.value;
  const services = await getServices();
  const error = {
    code: 'jobFailed' as const,
    message: `The photo job failed on every delivery (see run ${runId} in the log); stored photos were kept. The next run tries again.`,
  };
  const at = new Date();
  await services.identities.writePhotoFields(
    userIds.map((userId) => ({
      userId,
      fields: {
        lastResult: 'failed',
        lastRunId: runId,
        lastCheckedAt: at.toISOString(),
        lastErrorCode: error.code,
        lastErrorMessage: error.message,
      },
    })),
  );
  await Promise.all(
    userIds.map((userId) =>
      services.events.append(userId, { at: at.toISOString(), runId, result: 'failed', error }),
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
}

app.storageQueue('photoJobPoison', {
  queueName: '%PHOTO_QUEUE%-poison',
  connection: 'AzureWebJobsStorage',
  handler: photoJobPoisonHandler,
});
