import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { HttpError } from '../http/HttpError';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { requireUserId } from '../http/requireUserId';

async function handleUserPhotoLog(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  const userId = requireUserId(request);
  const { identities, events } = await getServices();
  const user = await identities.find(userId);
  if (user === undefined) throw new HttpError(404, 'userNotFound', 'No such user in the identity store.');
  return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: { events: await events.recent(user.rowKey) } };
}

/** `GET /api/users/{userId}/photo/log`: the user's recent photo events, newest first. */
export const userPhotoLogHandler = handleHttpErrors(handleUserPhotoLog);

app.http('userPhotoLog', {
  route: 'users/{userId}/photo/log',
  methods: ['GET'],
  authLevel: 'function',
  handler: userPhotoLogHandler,
});
