import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { isPhotoSyncActive, settingsPatchSchema } from '../domain/SyncSettings';
import { requireAdmin, requireReader } from '../http/ClientPrincipal';
import { HttpError } from '../http/HttpError';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { readJsonBody } from '../http/readJsonBody';
import { waitUntilJobsSeeChange } from '../storage/SettingsCache';
import { SettingsContended, SettingsPreconditionFailed, type StoredSettings } from '../storage/SettingsStore';
import { SyncLog } from '../sync/SyncLog';
import { jsonResponse } from '../http/jsonResponse';

function settingsResponse(settings: StoredSettings): HttpResponseInit {
  return jsonResponse(
    {
      userPhotos: settings.userPhotos,
      syncUserPhotos: settings.syncUserPhotos,
      photoGroupId: settings.photoGroupId,
      photoExcludeGroupId: settings.photoExcludeGroupId,
      photoSyncActive: isPhotoSyncActive(settings),
      updatedAt: settings.updatedAt,
      updatedBy: settings.updatedBy,
    },
    { headers: { ETag: settings.etag } },
  );
}

async function handleSettings(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  requireMethod(request, ['GET', 'PATCH']);
  if (request.method.toUpperCase() === 'GET') {
    requireReader(request);
    return settingsResponse(await (await getServices()).settings.read());
  }
  const actor = requireAdmin(request);
  const { settings } = await getServices();
  const parsed = settingsPatchSchema.safeParse(await readJsonBody(request));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw new HttpError(
      400,
      'invalidSettings',
      'Send a JSON object with any of userPhotos, syncUserPhotos (booleans), photoGroupId, ' +
        "photoExcludeGroupId (a group's object id or null): " +
        `${issue.path.join('.') || 'body'}: ${issue.message}${unknownKeys}.`,
    );
  }
  try {
    const { settings: updated, changes } = await settings.update(
      parsed.data,
      request.headers.get('if-match') ?? undefined,
      actor,
    );
    const log = new SyncLog(context);
    for (const change of changes)
      log.write('info', 'settingsChanged', {
        setting: change.key,
        from: change.from,
        to: change.to,
        by: actor,
        at: updated.updatedAt,
      });
    if (changes.length > 0)
      log.write('info', 'photoSyncState', {
        photoSyncActive: isPhotoSyncActive(updated),
        reason: 'photos sync only when userPhotos and syncUserPhotos are both on',
      });
    const before = { ...updated, ...Object.fromEntries(changes.map((change) => [change.key, change.from])) };
    // Photo jobs trust settings read shortly before they start: once this answers, none does any more.
    if (isPhotoSyncActive(before) && !isPhotoSyncActive(updated)) await waitUntilJobsSeeChange();
    return settingsResponse(updated);
  } catch (error) {
    if (error instanceof SettingsPreconditionFailed)
      throw new HttpError(412, 'preconditionFailed', error.message);
    if (error instanceof SettingsContended)
      throw new HttpError(503, 'settingsBusy', error.message, { 'Retry-After': '1' });
    throw error;
  }
}

/** `GET /api/settings` and `PATCH /api/settings` (docs/design.md, "Settings" and "HTTP API"). */
export const settingsHandler = handleHttpErrors(handleSettings);

app.http('settings', {
  route: 'settings',
  methods: ['GET', 'PATCH'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: settingsHandler,
});
