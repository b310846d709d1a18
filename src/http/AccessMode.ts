/**
 * Who may call, decided by where the app runs. App Service injects these variables itself: a
 * caller cannot set them, and `local.settings.json` has no reason to.
 * - `WEBSITE_INSTANCE_ID` and `WEBSITE_SITE_NAME` are set on Azure instances (the Functions host
 *   tells Azure from a developer's machine the same way); either one counts, so that a plan which
 *   sets only one of them still fails closed. (`CONTAINER_NAME` is not used: dev containers set it.)
 * - `WEBSITE_AUTH_ENABLED` is `True` when App Service authentication (Easy Auth) is on.
 */
export type AccessMode =
  /** Not in Azure (`npm start`, `func start`): everyone on 127.0.0.1, as with Core Tools. */
  | { kind: 'local' }
  /** In Azure with App Service authentication: the caller is the `x-ms-client-principal`. */
  | { kind: 'signIn' }
  /** In Azure without it: nobody can be identified, so nothing but health is served. */
  | { kind: 'signInMissing' };

export const AZURE_INSTANCE_SETTINGS = ['WEBSITE_INSTANCE_ID', 'WEBSITE_SITE_NAME'] as const;
export const AUTH_ENABLED_SETTING = 'WEBSITE_AUTH_ENABLED';

export function accessMode(env: Record<string, string | undefined> = process.env): AccessMode {
  const inAzure = AZURE_INSTANCE_SETTINGS.some((key) => (env[key] ?? '').trim() !== '');
  if (!inAzure) return { kind: 'local' };
  return (env[AUTH_ENABLED_SETTING] ?? '').trim().toLowerCase() === 'true'
    ? { kind: 'signIn' }
    : { kind: 'signInMissing' };
}
