import { app, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { parseRunRequest } from '../domain/RunRequest';
import { planRun } from '../sync/Planner';
import { plannerDeps } from '../sync/SyncDeps';
import { SyncLog } from '../sync/SyncLog';

/** Plans a run that `POST /api/sync` opened, off the HTTP request so the caller gets 202 at once. */
export async function runRequestsHandler(message: unknown, context: InvocationContext): Promise<void> {
  const log = new SyncLog(context);
  const request = parseRunRequest(message);
  if (!request.ok) {
    log.write('error', 'messageRefused', { queue: 'runRequests', reason: request.reason });
    return;
  }
  const services = await getServices();
  const run = await services.runs.get(request.value.runId);
  if (run === undefined) {
    log.write('error', 'messageRefused', {
      queue: 'runRequests',
      runId: request.value.runId,
      reason: 'no such run',
    });
    return;
  }
  if (run.status !== 'running' || run.jobs.total !== null) {
    log.write('info', 'runRequestRepeated', {
      runId: run.runId,
      reason: 'this run was planned before (a repeated delivery)',
    });
    return;
  }
  if (Number(context.triggerMetadata?.dequeueCount ?? 1) > 1) {
    // An earlier delivery died mid-planning; planning again would count its users twice.
    const finished = await services.runs.finishPlanning(run.runId, {
      code: 'planningInterrupted',
      message: 'Planning was interrupted; the photo jobs it had enqueued still ran. Start a new run.',
    });
    log.write('error', 'runPlanningFailed', {
      runId: run.runId,
      errorCode: 'planningInterrupted',
      reason: 'an earlier delivery of this run request stopped midway',
    });
    if (finished !== undefined) log.runSummary(finished);
    return;
  }
  await planRun(run, plannerDeps(services, context));
}

app.storageQueue('runRequests', {
  queueName: '%PHOTO_QUEUE%-runs',
  connection: 'AzureWebJobsStorage',
  handler: runRequestsHandler,
});
