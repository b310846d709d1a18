import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { requireAdmin } from '../http/ClientPrincipal';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { startRun } from '../sync/startRun';
import { SyncLog } from '../sync/SyncLog';
import { jsonResponse } from '../http/jsonResponse';

async function handleSync(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  requireMethod(request, ['POST']);
  const actor = requireAdmin(request);
  const services = await getServices();
  const log = new SyncLog(context);
  const run = await startRun('manual', { settings: services.settings, runs: services.runs, log });
  await services.runRequests.send({ runId: run.runId });
  log.write('info', 'runRequested', { runId: run.runId, by: actor });
  return jsonResponse({ runId: run.runId }, { status: 202, headers: { Location: `/api/runs/${run.runId}` } });
}

/** `POST /api/sync`: starts a run now; a queue function plans it, so this answers at once. */
export const syncHandler = handleHttpErrors(handleSync);

app.http('sync', {
  route: 'sync',
  methods: ['POST'],
  authLevel: 'function',
  handler: syncHandler,
});
