import { randomUUID } from 'node:crypto';
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

/**
 * What `azd up` sets up in Entra ID, through Microsoft Graph with the deployer's own sign-in (the
 * azd provisioning hooks): the console's sign-in app registration with its app roles, and the
 * Graph application roles of the app's managed identity. Every step reads first and changes only
 * what is missing, so a second `azd up` changes nothing.
 */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** The app roles of the sign-in registration; the app checks these values (src/http). */
export const SIGN_IN_APP_ROLES = [
  {
    value: 'PhotoSync.Reader',
    displayName: 'Photo sync reader',
    description: 'Reads the settings, runs, users and photos of entra-photo-sync.',
  },
  {
    value: 'PhotoSync.Admin',
    displayName: 'Photo sync admin',
    description: 'Changes the settings of entra-photo-sync, starts runs and purges photos; reads everything.',
  },
] as const;

/** The delegated scope a script asks for (`api://<client id>/user_impersonation`). */
export const SCRIPT_SCOPE = 'user_impersonation';
/** The Azure CLI's app id: pre-authorized, so `az account get-access-token --scope …` needs no consent prompt. */
export const AZURE_CLI_APP_ID = '04b07795-8ddb-461a-bbee-02f9e1bf7b46';

/** Easy Auth's own callback path for the Microsoft provider. */
export const AUTH_CALLBACK_PATH = '/.auth/login/aad/callback';
/** The audience of a managed identity's token exchanged for the app registration's (FIC). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const FEDERATED_CREDENTIAL_NAME = 'app-service-authentication';

const AppRoleSchema = z.looseObject({
  id: z.string(),
  value: z.string().nullable(),
  isEnabled: z.boolean(),
  allowedMemberTypes: z.array(z.string()),
});
const ScopeSchema = z.looseObject({ id: z.string(), value: z.string().nullable() });
const ApplicationSchema = z.looseObject({
  id: z.string(),
  appId: z.string(),
  identifierUris: z.array(z.string()),
  appRoles: z.array(AppRoleSchema),
  api: z
    .looseObject({
      requestedAccessTokenVersion: z.number().nullish(),
      oauth2PermissionScopes: z.array(ScopeSchema),
      preAuthorizedApplications: z.array(
        z.looseObject({ appId: z.string(), delegatedPermissionIds: z.array(z.string()) }),
      ),
    })
    .nullish(),
  web: z.looseObject({ redirectUris: z.array(z.string()) }).nullish(),
});
const PrincipalSchema = z.looseObject({
  id: z.string(),
  appId: z.string(),
  appRoles: z.array(AppRoleSchema),
});
const AssignmentSchema = z.looseObject({
  principalId: z.string(),
  resourceId: z.string(),
  appRoleId: z.string(),
});
const CredentialSchema = z.looseObject({ name: z.string(), issuer: z.string(), subject: z.string() });
const collectionOf = <T extends z.ZodType>(item: T) => z.object({ value: z.array(item) });

type Application = z.infer<typeof ApplicationSchema>;
type Principal = z.infer<typeof PrincipalSchema>;

/** A Graph GET that answers undefined for 404 instead of throwing. */
async function find<T extends z.ZodType>(
  graph: Client,
  path: string,
  schema: T,
): Promise<z.infer<T> | undefined> {
  try {
    return schema.parse(await graph.api(path).get());
  } catch (error) {
    if (error instanceof GraphError && error.statusCode === 404) return undefined;
    throw error;
  }
}

async function list<T extends z.ZodType>(graph: Client, path: string, schema: T): Promise<Array<z.infer<T>>> {
  return collectionOf(schema).parse(await graph.api(path).get()).value;
}

const quoted = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export interface SignInRegistration {
  appId: string;
  objectId: string;
  servicePrincipalId: string;
  /** What this call changed, for the hook's output. */
  changes: string[];
}

/** Creates or completes the sign-in app registration and its service principal. */
export async function ensureSignInRegistration(
  graph: Client,
  options: { uniqueName: string; displayName: string; assignDeployerAdmin: boolean },
): Promise<SignInRegistration> {
  const changes: string[] = [];
  const path = `/applications(uniqueName=${quoted(options.uniqueName)})`;
  let application = await find(graph, path, ApplicationSchema);
  if (application === undefined) {
    application = ApplicationSchema.parse(
      await graph.api('/applications').post({
        uniqueName: options.uniqueName,
        displayName: options.displayName,
        signInAudience: 'AzureADMyOrg',
      }),
    );
    changes.push(`created app registration ${options.displayName} (${application.appId})`);
  }
  const roles = appRolesWith(application);
  const identifierUri = `api://${application.appId}`;
  const patch: Record<string, unknown> = {};
  if (roles.length !== application.appRoles.length) patch.appRoles = roles;
  if (!application.identifierUris.includes(identifierUri))
    patch.identifierUris = [...application.identifierUris, identifierUri];
  const api = apiWith(application);
  if (api !== undefined) patch.api = api;
  if (Object.keys(patch).length > 0) {
    await graph.api(`/applications/${application.id}`).patch(patch);
    changes.push(`app registration: set ${Object.keys(patch).join(', ')}`);
  }

  let principal = await find(
    graph,
    `/servicePrincipals(appId=${quoted(application.appId)})`,
    PrincipalSchema,
  );
  if (principal === undefined) {
    // Only users (and apps) assigned one of its roles may sign in: anyone else is refused by Entra ID.
    principal = PrincipalSchema.parse(
      await graph
        .api('/servicePrincipals')
        .post({ appId: application.appId, appRoleAssignmentRequired: true }),
    );
    changes.push('created its service principal (assignment required)');
  }
  if (options.assignDeployerAdmin) {
    const me = z.looseObject({ id: z.string() }).parse(await graph.api('/me').get());
    const adminRole = roles.find((role) => role.value === 'PhotoSync.Admin')!;
    if (await assignAppRole(graph, principal, me.id, adminRole.id))
      changes.push('assigned you PhotoSync.Admin');
  }
  return { appId: application.appId, objectId: application.id, servicePrincipalId: principal.id, changes };
}

/** The registration's app roles with ours added where missing; an existing role keeps its id. */
function appRolesWith(
  application: Application,
): Array<Record<string, unknown> & { id: string; value: string | null }> {
  const roles: Array<Record<string, unknown> & { id: string; value: string | null }> = [
    ...application.appRoles,
  ];
  for (const role of SIGN_IN_APP_ROLES) {
    if (roles.some((existing) => existing.value === role.value)) continue;
    roles.push({ ...role, id: randomUUID(), isEnabled: true, allowedMemberTypes: ['User', 'Application'] });
  }
  return roles;
}

/**
 * The registration's API settings where they lack ours: v2 access tokens (the issuer Easy Auth
 * validates), the `user_impersonation` scope, the Azure CLI pre-authorized for it. Undefined when
 * nothing is missing.
 */
function apiWith(application: Application): Record<string, unknown> | undefined {
  const api = application.api ?? {
    requestedAccessTokenVersion: null,
    oauth2PermissionScopes: [],
    preAuthorizedApplications: [],
  };
  const scopes = [...api.oauth2PermissionScopes];
  let scope = scopes.find((candidate) => candidate.value === SCRIPT_SCOPE);
  if (scope === undefined) {
    scope = {
      id: randomUUID(),
      value: SCRIPT_SCOPE,
      type: 'User',
      isEnabled: true,
      adminConsentDisplayName: 'Call entra-photo-sync as the signed-in user',
      adminConsentDescription:
        'Lets a script call the entra-photo-sync API with the signed-in user’s app roles.',
    };
    scopes.push(scope);
  }
  const clients = [...api.preAuthorizedApplications];
  const cli = clients.find((client) => client.appId === AZURE_CLI_APP_ID);
  if (cli === undefined) clients.push({ appId: AZURE_CLI_APP_ID, delegatedPermissionIds: [scope.id] });
  else if (!cli.delegatedPermissionIds.includes(scope.id))
    clients[clients.indexOf(cli)] = {
      ...cli,
      delegatedPermissionIds: [...cli.delegatedPermissionIds, scope.id],
    };
  const unchanged =
    api.requestedAccessTokenVersion === 2 &&
    scopes.length === api.oauth2PermissionScopes.length &&
    JSON.stringify(clients) === JSON.stringify(api.preAuthorizedApplications);
  if (unchanged) return undefined;
  // Scopes first: a pre-authorization may only name a scope that already exists.
  return {
    requestedAccessTokenVersion: 2,
    oauth2PermissionScopes: scopes,
    preAuthorizedApplications: clients,
  };
}

/** True when it assigned the role, false when the principal already had it. */
async function assignAppRole(
  graph: Client,
  resource: Principal,
  principalId: string,
  appRoleId: string,
): Promise<boolean> {
  const assigned = await list(graph, `/servicePrincipals/${resource.id}/appRoleAssignedTo`, AssignmentSchema);
  if (
    assigned.some(
      (assignment) => assignment.principalId === principalId && assignment.appRoleId === appRoleId,
    )
  )
    return false;
  await graph
    .api(`/servicePrincipals/${resource.id}/appRoleAssignedTo`)
    .post({ principalId, resourceId: resource.id, appRoleId });
  return true;
}

/**
 * After provisioning, when the app's address and identity exist: Easy Auth's redirect URI, and
 * the federated credential that lets Easy Auth prove the registration with the managed identity
 * instead of a client secret.
 */
export async function completeSignInRegistration(
  graph: Client,
  options: {
    appId: string;
    functionAppUrl: string;
    tenantId: string;
    identityPrincipalId: string;
    authority: string;
  },
): Promise<string[]> {
  const changes: string[] = [];
  const application = await find(graph, `/applications(appId=${quoted(options.appId)})`, ApplicationSchema);
  if (application === undefined)
    throw new Error(`No app registration with client id ${options.appId}: run azd provision again.`);
  const redirectUri = `${options.functionAppUrl.replace(/\/+$/, '')}${AUTH_CALLBACK_PATH}`;
  const redirectUris = application.web?.redirectUris ?? [];
  if (!redirectUris.includes(redirectUri)) {
    await graph
      .api(`/applications/${application.id}`)
      .patch({ web: { redirectUris: [...redirectUris, redirectUri] } });
    changes.push(`redirect URI ${redirectUri}`);
  }
  const issuer = `${options.authority.replace(/\/+$/, '')}/${options.tenantId}/v2.0`;
  const credentials = await list(
    graph,
    `/applications/${application.id}/federatedIdentityCredentials`,
    CredentialSchema,
  );
  if (
    !credentials.some(
      (credential) => credential.issuer === issuer && credential.subject === options.identityPrincipalId,
    )
  ) {
    await graph.api(`/applications/${application.id}/federatedIdentityCredentials`).post({
      name: `${FEDERATED_CREDENTIAL_NAME}-${options.identityPrincipalId.slice(0, 8)}`,
      issuer,
      subject: options.identityPrincipalId,
      audiences: [TOKEN_EXCHANGE_AUDIENCE],
      description: 'App Service authentication signs in with the app managed identity, not a secret.',
    });
    changes.push('federated credential of the managed identity');
  }
  return changes;
}

/** Assigns the Microsoft Graph application roles to the managed identity: the admin consent. */
export async function grantGraphAppRoles(
  graph: Client,
  options: { principalId: string; roles: readonly string[] },
): Promise<string[]> {
  const graphPrincipal = await find(
    graph,
    `/servicePrincipals(appId=${quoted(MICROSOFT_GRAPH_APP_ID)})`,
    PrincipalSchema,
  );
  if (graphPrincipal === undefined) throw new Error('The tenant has no Microsoft Graph service principal.');
  const held = await list(
    graph,
    `/servicePrincipals/${options.principalId}/appRoleAssignments`,
    AssignmentSchema,
  );
  const granted: string[] = [];
  for (const value of options.roles) {
    const role = graphPrincipal.appRoles.find(
      (candidate) => candidate.value === value && candidate.allowedMemberTypes.includes('Application'),
    );
    if (role === undefined) throw new Error(`Microsoft Graph has no application role ${value}.`);
    if (
      held.some(
        (assignment) => assignment.resourceId === graphPrincipal.id && assignment.appRoleId === role.id,
      )
    )
      continue;
    await graph
      .api(`/servicePrincipals/${graphPrincipal.id}/appRoleAssignedTo`)
      .post({ principalId: options.principalId, resourceId: graphPrincipal.id, appRoleId: role.id });
    granted.push(value);
  }
  return granted;
}
