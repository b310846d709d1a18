import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../app/AppServices';
import { requireAdmin } from '../http/ClientPrincipal';
import { HttpError } from '../http/HttpError';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { readJsonBody } from '../http/readJsonBody';
import { requireStartedRun, runLocation } from '../http/requireStartedRun';
import { startRun } from '../sync/startRun';
import { SyncLog } from '../sync/SyncLog';
import { jsonResponse } from '../http/jsonResponse';

const syncBodySchema = z.strictObject({ allowRemovals: z.boolean().optional() });

async function handleSync(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  requireMethod(request, ['POST']);
  const actor = requireAdmin(request);
  const body = syncBodySchema.safeParse((await readJsonBody(request, { optional: true })) ?? {});
  if (!body.success)
    throw new HttpError(
      400,
      'invalidSyncRequest',
      'Send no body, or {"allowRemovals": true} to lift PHOTO_REMOVAL_LIMIT for this run.',
    );
  const allowRemovals = body.data.allowRemovals === true;
  const services = await getServices();
  const log = new SyncLog(context);
  const run = requireStartedRun(
    await startRun('manual', { settings: services.settings, runs: services.runs, log }),
  );
  await services.runRequests.send({ runId: run.runId, ...(allowRemovals ? { allowRemovals } : {}) });
  log.write('info', 'runRequested', { runId: run.runId, by: actor, allowRemovals });
  return jsonResponse({ runId: run.runId }, { status: 202, headers: { Location: runLocation(run.runId) } });
}

/**
 * `POST /api/sync`: starts a run now; a queue function plans it, so this answers at once. The
 * optional `{"allowRemovals": true}` lifts the removal limit for this one run. A run in progress
 * (a timer run, a purge, another admin's) is 409 `runInProgress` naming it.
 */
export const syncHandler = handleHttpErrors(handleSync);

app.http('sync', {
  route: 'sync',
  methods: ['POST'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: syncHandler,
});
