import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { requireReader } from '../http/ClientPrincipal';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { pageQuery, readPage } from '../http/PageQuery';
import { jsonResponse } from '../http/jsonResponse';

async function handleSettingsHistory(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  requireReader(request);
  const { settings } = await getServices();
  const query = pageQuery(request, { defaultTop: 50, maxTop: 100 });
  const page = await readPage(query.next, () => settings.history(query));
  return jsonResponse(page);
}

/** `GET /api/settings/history`: every settings change (old → new, when, by whom), newest first. */
export const settingsHistoryHandler = handleHttpErrors(handleSettingsHistory);

app.http('settingsHistory', {
  route: 'settings/history',
  methods: ['GET'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: settingsHistoryHandler,
});
