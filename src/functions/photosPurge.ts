import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { getServices } from '../app/AppServices';
import { isPhotoSyncActive } from '../domain/SyncSettings';
import { requireAdmin } from '../http/ClientPrincipal';
import { HttpError } from '../http/HttpError';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { jsonResponse } from '../http/jsonResponse';
import { readJsonBody } from '../http/readJsonBody';
import { requireStartedRun, runLocation } from '../http/requireStartedRun';
import { startRun } from '../sync/startRun';
import { SyncLog } from '../sync/SyncLog';

const purgeBodySchema = z.strictObject({ confirm: z.literal(true) });

async function handlePurge(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  requireMethod(request, ['POST']);
  const actor = requireAdmin(request);
  if (!purgeBodySchema.safeParse(await readJsonBody(request)).success)
    throw new HttpError(
      400,
      'confirmationRequired',
      'A purge deletes every stored photo: send {"confirm": true} to mean it.',
    );
  const services = await getServices();
  // Photos that the next run would fetch again are not purged: turn photo sync off first.
  if (isPhotoSyncActive(await services.settings.read()))
    throw new HttpError(
      409,
      'photoSyncActive',
      'Photo sync is on: turn userPhotos or syncUserPhotos off first, or the next run fetches the photos again.',
    );
  const log = new SyncLog(context);
  const run = requireStartedRun(
    await startRun('purge', { settings: services.settings, runs: services.runs, log }),
  );
  await services.runRequests.send({ runId: run.runId });
  log.write('warn', 'purgeRequested', {
    runId: run.runId,
    by: actor,
    reason: 'every stored photo is deleted (blobs and photo fields); records and history stay',
  });
  return jsonResponse({ runId: run.runId }, { status: 202, headers: { Location: runLocation(run.runId) } });
}

/**
 * `POST /api/photos/purge` `{"confirm": true}`: a run (trigger `purge`) that deletes every stored
 * photo, with no Graph request; only while photo sync is off (else 409 `photoSyncActive`) and no
 * other run is in progress (else 409 `runInProgress`): it takes the same run slot.
 */
export const photosPurgeHandler = handleHttpErrors(handlePurge);

app.http('photosPurge', {
  route: 'photos/purge',
  methods: ['POST'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: photosPurgeHandler,
});
