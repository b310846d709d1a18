import type { HttpRequest } from '@azure/functions';
import { accessMode } from './AccessMode';
import { HttpError } from './HttpError';

/** May read users, photos, runs, settings and their history. */
export const READER_ROLE = 'PhotoSync.Reader';
/** May also change settings, start runs and purge. */
export const ADMIN_ROLE = 'PhotoSync.Admin';

/** The name a change is recorded under when nobody signs in (the local host). */
export const LOCAL_CALLER = 'local (no sign-in)';

interface Principal {
  name: string | undefined;
  roles: string[];
}

interface PrincipalHeader {
  claims?: Array<{ typ?: string; val?: string }>;
  userDetails?: string;
  name_typ?: string;
  role_typ?: string;
}

const ROLE_CLAIMS = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const NAME_CLAIMS = [
  'preferred_username',
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
];

/**
 * The signed-in caller that App Service authentication puts in `x-ms-client-principal` (base64
 * JSON of the token's claims): a browser session and a script's bearer token alike. The platform
 * strips a client-sent copy of this header, so it can be trusted when sign-in is on.
 */
export function clientPrincipal(request: HttpRequest): Principal | undefined {
  const header = request.headers.get('x-ms-client-principal');
  if (header === null) return undefined;
  let decoded: PrincipalHeader;
  try {
    decoded = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as PrincipalHeader;
  } catch {
    throw new HttpError(401, 'invalidPrincipal', 'The x-ms-client-principal header is not readable.');
  }
  const claims = Array.isArray(decoded.claims) ? decoded.claims : [];
  const roleTypes = decoded.role_typ ? [decoded.role_typ, ...ROLE_CLAIMS] : ROLE_CLAIMS;
  const nameTypes = decoded.name_typ ? [decoded.name_typ, ...NAME_CLAIMS] : NAME_CLAIMS;
  const roles = claims
    .filter((claim) => claim.typ !== undefined && roleTypes.includes(claim.typ))
    .map((claim) => claim.val ?? '');
  const name = nameTypes
    .map((typ) => claims.find((claim) => claim.typ === typ)?.val)
    .find((val) => val !== undefined && val !== '');
  return { name: name ?? decoded.userDetails, roles };
}

/**
 * The caller, or the refusal: locally everyone; in Azure with sign-in, a signed-in principal
 * holding one of `roles`; in Azure without sign-in, nobody (fail closed).
 */
function requireCaller(request: HttpRequest, roles: readonly string[], what: string): string {
  const mode = accessMode();
  switch (mode.kind) {
    case 'local':
      return LOCAL_CALLER;
    case 'signInMissing':
      throw new HttpError(
        403,
        'signInNotConfigured',
        'App Service authentication is not turned on for this app, so no caller can be identified and nothing is served; turn it on (azd up does) and sign in.',
      );
    case 'signIn': {
      const principal = clientPrincipal(request);
      if (principal === undefined)
        throw new HttpError(
          401,
          'signInRequired',
          'Sign in with Entra ID (a browser session or a bearer token).',
        );
      if (roles.length > 0 && !principal.roles.some((role) => roles.includes(role)))
        throw new HttpError(
          403,
          'forbidden',
          `${what} needs the app role ${roles.join(' or ')}; ask an administrator to assign it to you in the app's enterprise application (Users and groups).`,
        );
      return principal.name ?? 'signed-in caller';
    }
  }
}

/** Any signed-in caller: the console page itself holds no personal data. */
export function requireSignedIn(request: HttpRequest): string {
  return requireCaller(request, [], 'This');
}

/** Reading users, photos, runs and settings: `PhotoSync.Reader` or `PhotoSync.Admin`. */
export function requireReader(request: HttpRequest): string {
  return requireCaller(request, [READER_ROLE, ADMIN_ROLE], 'Reading');
}

/** Changing settings, starting a run or purging: `PhotoSync.Admin`; returns who, for the record. */
export function requireAdmin(request: HttpRequest): string {
  return requireCaller(request, [ADMIN_ROLE], 'A change');
}
