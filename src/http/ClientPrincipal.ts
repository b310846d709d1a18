import type { HttpRequest } from '@azure/functions';
import { HttpError } from './HttpError';

/** The app role that may change settings and start runs when App Service authentication is on. */
export const ADMIN_ROLE = 'PhotoSync.Admin';

interface Principal {
  name: string | undefined;
  roles: string[];
}

/**
 * The signed-in caller that App Service authentication puts in `x-ms-client-principal` (base64
 * JSON). The platform strips a client-sent copy of this header, so it can be trusted when present.
 */
export function clientPrincipal(request: HttpRequest): Principal | undefined {
  const header = request.headers.get('x-ms-client-principal');
  if (header === null) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
      claims?: Array<{ typ?: string; val?: string }>;
      userDetails?: string;
      userRoles?: string[];
    };
    const claims = decoded.claims ?? [];
    const roles = [
      ...claims
        .filter((claim) => claim.typ === 'roles' || claim.typ?.endsWith('/role'))
        .map((claim) => claim.val ?? ''),
      ...(decoded.userRoles ?? []),
    ];
    const name =
      claims.find((claim) => claim.typ === 'preferred_username' || claim.typ === 'name')?.val ??
      decoded.userDetails;
    return { name, roles };
  } catch {
    throw new HttpError(401, 'invalidPrincipal', 'The x-ms-client-principal header is not readable.');
  }
}

/**
 * Changing settings or starting a run: with a function key only, the key is the authorization;
 * with App Service authentication on, the caller must also hold the admin app role.
 */
export function requireAdmin(request: HttpRequest): string {
  const principal = clientPrincipal(request);
  if (principal === undefined) return 'function key';
  if (!principal.roles.includes(ADMIN_ROLE)) {
    throw new HttpError(
      403,
      'forbidden',
      `This needs the app role ${ADMIN_ROLE}; ask an administrator to assign it to you in the ` +
        "app's enterprise application.",
    );
  }
  return principal.name ?? 'signed-in user';
}
