import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { requireSignedIn } from '../http/ClientPrincipal';
import { HttpError } from '../http/HttpError';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { readConsoleAsset } from '../http/ConsoleAssets';

/**
 * The page may load only what the app itself serves: no CDN, no inline script or style, no frames,
 * nothing sent elsewhere. It works offline and cannot be turned into a carrier for injected script.
 */
export const CONSOLE_CSP =
  "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

async function handleAdmin(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  // The page and its scripts hold no personal data; the API calls they make check the caller's role.
  requireSignedIn(request);
  const asset = await readConsoleAsset(request.params.asset || 'admin.html');
  if (asset === undefined)
    throw new HttpError(404, 'notFound', 'The admin console has no such file; open /api/admin.');
  return {
    status: 200,
    body: asset.bytes,
    headers: {
      'Content-Type': asset.contentType,
      'Content-Security-Policy': CONSOLE_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-cache',
    },
  };
}

/** `GET /api/admin`: the admin console page; `GET /api/admin/{asset}`: its scripts and style. */
export const adminHandler = handleHttpErrors(handleAdmin);

app.http('admin', {
  route: 'admin/{asset?}',
  methods: ['GET'],
  // Anonymous to the host: the handler checks sign-in (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: adminHandler,
});
