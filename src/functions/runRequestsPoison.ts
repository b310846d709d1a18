import { app } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { queueTrigger } from '../app/queueTrigger';
import { parseRunRequest } from '../domain/RunRequest';
import { failPlanning } from '../sync/failPlanning';
import { SyncLog } from '../sync/SyncLog';

/** A run request that failed every delivery: its run is closed as failed rather than left running. */
const trigger = queueTrigger('runRequestsPoison', parseRunRequest, async (request, context) => {
  const { runs } = await getServices();
  await failPlanning(
    { runs, log: new SyncLog(context) },
    request.runId,
    {
      code: 'planningFailed',
      message: 'Planning failed on every delivery of the run request; see the log. Start a new run.',
    },
    'the run request reached the poison queue',
  );
});

export const runRequestsPoisonHandler = trigger.handler;

app.storageQueue('runRequestsPoison', trigger);
