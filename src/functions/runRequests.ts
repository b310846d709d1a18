import { app } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { queueTrigger } from '../app/queueTrigger';
import { parseRunRequest } from '../domain/RunRequest';
import { planRun } from '../sync/planRun';
import { planPurge } from '../sync/planPurge';
import { plannerDeps, purgePlannerDeps } from '../sync/SyncDeps';
import { failPlanning } from '../sync/failPlanning';
import { SyncLog } from '../sync/SyncLog';

/** Plans a run that `POST /api/sync` opened, off the HTTP request so the caller gets 202 at once. */
const trigger = queueTrigger('runRequests', parseRunRequest, async (request, context) => {
  const log = new SyncLog(context);
  const services = await getServices();
  const run = await services.runs.get(request.runId);
  if (run === undefined) {
    log.write('error', 'messageRefused', {
      queue: 'runRequests',
      runId: request.runId,
      reason: 'no such run',
    });
    return;
  }
  if (run.status !== 'running' || run.jobs.total !== null) {
    log.write('info', 'runRequestRepeated', {
      runId: run.runId,
      reason:
        run.error?.code === 'interrupted'
          ? 'this run was closed as interrupted before its request was planned: start a new run'
          : 'this run was planned before (a repeated delivery)',
    });
    return;
  }
  // A purge's planning can be repeated: an earlier delivery that died midway is simply finished.
  if (run.trigger === 'purge') {
    await planPurge(run, purgePlannerDeps(services, context));
    return;
  }
  if (Number(context.triggerMetadata?.dequeueCount ?? 1) > 1) {
    // An earlier delivery died mid-planning; planning again would count its users twice.
    await failPlanning(
      { runs: services.runs, log },
      run.runId,
      {
        code: 'planningInterrupted',
        message: 'Planning was interrupted; the photo jobs it had enqueued still ran. Start a new run.',
      },
      'an earlier delivery of this run request stopped midway',
    );
    return;
  }
  await planRun(run, plannerDeps(services, context), { allowRemovals: request.allowRemovals });
});

export const runRequestsHandler = trigger.handler;

app.storageQueue('runRequests', trigger);
