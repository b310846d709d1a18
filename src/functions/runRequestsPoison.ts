import { app, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { parseRunRequest } from '../domain/RunRequest';
import { SyncLog } from '../sync/SyncLog';

/** A run request that failed every delivery: its run is closed as failed rather than left running. */
export async function runRequestsPoisonHandler(message: unknown, context: InvocationContext): Promise<void> {
  const log = new SyncLog(context);
  const request = parseRunRequest(message);
  if (!request.ok) {
    log.write('error', 'messageRefused', { queue: 'runRequestsPoison', reason: request.reason });
    return;
  }
  const { runs } = await getServices();
  const finished = await runs.finishPlanning(request.value.runId, {
    code: 'planningFailed',
    message: 'Planning failed on every delivery of the run request; see the log. Start a new run.',
  });
  log.write('error', 'runPlanningFailed', {
    runId: request.value.runId,
    errorCode: 'planningFailed',
    reason: 'the run request reached the poison queue',
  });
  if (finished !== undefined) log.runSummary(finished);
}

app.storageQueue('runRequestsPoison', {
  queueName: '%PHOTO_QUEUE%-runs-poison',
  connection: 'AzureWebJobsStorage',
  handler: runRequestsPoisonHandler,
});
