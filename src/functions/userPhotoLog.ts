import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { requireReader } from '../http/ClientPrincipal';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { requireStoredUser } from '../http/requireStoredUser';
import { jsonResponse } from '../http/jsonResponse';

async function handleUserPhotoLog(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  requireReader(request);
  const { identities, events } = await getServices();
  const user = await requireStoredUser(request, identities);
  return jsonResponse({ events: await events.recent(user.rowKey) });
}

/** `GET /api/users/{userId}/photo/log`: the user's recent photo events, newest first. */
export const userPhotoLogHandler = handleHttpErrors(handleUserPhotoLog);

app.http('userPhotoLog', {
  route: 'users/{userId}/photo/log',
  methods: ['GET'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: userPhotoLogHandler,
});
