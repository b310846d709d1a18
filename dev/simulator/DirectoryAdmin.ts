import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The directory-administration part of the Graph simulator: app registrations (with app roles,
 * redirect URIs, identifier URIs and federated credentials), service principals, app role
 * assignments and `/me`, as far as the azd provisioning hooks use them. Answers as Graph does:
 * alternate keys `applications(appId='…')`, `applications(uniqueName='…')`,
 * `servicePrincipals(appId='…')`; 201 with the object on create, 204 on update, Graph's error codes.
 */
export interface DirectoryAnswer {
  status: number;
  json?: unknown;
}

/** Microsoft Graph's own service principal and the application roles this project grants. */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GRAPH_APP_ROLES = [
  { value: 'User.Read.All', id: 'df021288-bdef-4463-88db-98f22de89214' },
  { value: 'GroupMember.Read.All', id: '98830695-27a2-44f7-8c18-0c3ebc9698f6' },
  { value: 'ProfilePhoto.Read.All', id: '8f6a01e7-0391-4ee5-aa22-a3af122cef27' },
  { value: 'Group.Read.All', id: '5b567255-7703-4780-807c-7be8301ae99b' },
];

const AppRole = z.object({
  id: z.uuid(),
  value: z.string().min(1),
  displayName: z.string().min(1),
  description: z.string().min(1),
  allowedMemberTypes: z.array(z.enum(['User', 'Application'])).min(1),
  isEnabled: z.boolean(),
});
type AppRole = z.infer<typeof AppRole>;

const ApplicationPatch = z.strictObject({
  displayName: z.string().min(1).optional(),
  uniqueName: z.string().min(1).optional(),
  signInAudience: z.enum(['AzureADMyOrg', 'AzureADMultipleOrgs']).optional(),
  identifierUris: z.array(z.string()).optional(),
  appRoles: z.array(AppRole).optional(),
  web: z
    .strictObject({
      redirectUris: z.array(z.url()).optional(),
      implicitGrantSettings: z.strictObject({ enableIdTokenIssuance: z.boolean() }).optional(),
    })
    .optional(),
  tags: z.array(z.string()).optional(),
});
type ApplicationPatch = z.infer<typeof ApplicationPatch>;

const ServicePrincipalCreate = z.strictObject({
  appId: z.string(),
  appRoleAssignmentRequired: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
});
const AssignmentCreate = z.strictObject({ principalId: z.uuid(), resourceId: z.uuid(), appRoleId: z.uuid() });
const FederatedCredentialCreate = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$/),
  issuer: z.url(),
  subject: z.string().min(1),
  audiences: z.array(z.string()).length(1),
  description: z.string().optional(),
});

interface Application extends ApplicationPatch {
  id: string;
  appId: string;
  identifierUris: string[];
  appRoles: AppRole[];
  web: { redirectUris: string[]; implicitGrantSettings: { enableIdTokenIssuance: boolean } };
  federatedIdentityCredentials: Array<z.infer<typeof FederatedCredentialCreate> & { id: string }>;
}

interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: 'Application' | 'ManagedIdentity';
  appRoleAssignmentRequired: boolean;
  appRoles: AppRole[];
}

export interface AppRoleAssignment {
  id: string;
  principalId: string;
  principalType: 'User' | 'ServicePrincipal';
  resourceId: string;
  appRoleId: string;
}

const error = (status: number, code: string, message: string): DirectoryAnswer => ({
  status,
  json: { error: { code, message } },
});
const notFound = (what: string): DirectoryAnswer =>
  error(
    404,
    'Request_ResourceNotFound',
    `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`,
  );
const collection = (value: unknown[]): DirectoryAnswer => ({ status: 200, json: { value } });

export class SimulatedDirectoryAdmin {
  readonly applications = new Map<string, Application>();
  readonly servicePrincipals = new Map<string, ServicePrincipal>();
  readonly assignments: AppRoleAssignment[] = [];
  /** The signed-in caller of `/me`: the deployer whose token the hooks use. */
  readonly me = { id: randomUUID(), displayName: 'Deployer', userPrincipalName: 'deployer@contoso.example' };

  constructor() {
    const graph = randomUUID();
    this.servicePrincipals.set(graph, {
      id: graph,
      appId: MICROSOFT_GRAPH_APP_ID,
      displayName: 'Microsoft Graph',
      servicePrincipalType: 'Application',
      appRoleAssignmentRequired: false,
      appRoles: GRAPH_APP_ROLES.map((role) => ({
        ...role,
        displayName: role.value,
        description: role.value,
        allowedMemberTypes: ['Application'],
        isEnabled: true,
      })),
    });
  }

  /** A user-assigned managed identity, as creating one in Azure makes its service principal. */
  addManagedIdentity(displayName: string): ServicePrincipal {
    const principal: ServicePrincipal = {
      id: randomUUID(),
      appId: randomUUID(),
      displayName,
      servicePrincipalType: 'ManagedIdentity',
      appRoleAssignmentRequired: false,
      appRoles: [],
    };
    this.servicePrincipals.set(principal.id, principal);
    return principal;
  }

  /** The answer to a directory request, or undefined when the path is not a directory route. */
  answer(method: string, segments: string[], body: unknown): DirectoryAnswer | undefined {
    const [head, child, ...rest] = segments;
    if (head === 'me' && child === undefined)
      return method === 'GET' ? { status: 200, json: this.me } : undefined;
    if (head === 'applications' && child === undefined && method === 'POST')
      return this.createApplication(body);
    if (head === 'servicePrincipals' && child === undefined && method === 'POST')
      return this.createServicePrincipal(body);
    const applicationKey = /^applications(?:\((appId|uniqueName)='([^']*)'\)$|$)/.exec(head ?? '');
    if (applicationKey !== null) {
      const application =
        applicationKey[1] !== undefined
          ? this.findApplication(applicationKey[1] as 'appId' | 'uniqueName', applicationKey[2])
          : child !== undefined
            ? this.applications.get(child)
            : undefined;
      const tail = applicationKey[1] !== undefined ? [child, ...rest] : rest;
      if (applicationKey[1] === undefined && child === undefined) return undefined;
      if (application === undefined) return notFound(applicationKey[2] ?? child ?? '');
      return this.applicationRoute(
        method,
        application,
        tail.filter((s) => s !== undefined),
        body,
      );
    }
    const principalKey = /^servicePrincipals(?:\(appId='([^']*)'\)$|$)/.exec(head ?? '');
    if (principalKey !== null) {
      const principal =
        principalKey[1] !== undefined
          ? [...this.servicePrincipals.values()].find((candidate) => candidate.appId === principalKey[1])
          : child !== undefined
            ? this.servicePrincipals.get(child)
            : undefined;
      const tail = (principalKey[1] !== undefined ? [child, ...rest] : rest).filter((s) => s !== undefined);
      if (principalKey[1] === undefined && child === undefined) return undefined;
      if (principal === undefined) return notFound(principalKey[1] ?? child ?? '');
      return this.principalRoute(method, principal, tail, body);
    }
    return undefined;
  }

  private findApplication(key: 'appId' | 'uniqueName', value: string): Application | undefined {
    return [...this.applications.values()].find((application) => application[key] === value);
  }

  private createApplication(body: unknown): DirectoryAnswer {
    const parsed = ApplicationPatch.safeParse(body);
    if (!parsed.success || parsed.data.displayName === undefined)
      return error(
        400,
        'Request_BadRequest',
        `Invalid application: ${parsed.error?.message ?? 'displayName is required'}`,
      );
    if (parsed.data.uniqueName !== undefined && this.findApplication('uniqueName', parsed.data.uniqueName))
      return error(
        400,
        'Request_MultipleObjectsWithSameKeyValue',
        'Another object with the same value for property uniqueName already exists.',
      );
    const application: Application = {
      ...parsed.data,
      id: randomUUID(),
      appId: randomUUID(),
      identifierUris: [],
      appRoles: [],
      web: { redirectUris: [], implicitGrantSettings: { enableIdTokenIssuance: false } },
      federatedIdentityCredentials: [],
    };
    const invalid = this.apply(application, parsed.data);
    if (invalid !== undefined) return invalid;
    this.applications.set(application.id, application);
    return { status: 201, json: this.view(application) };
  }

  private applicationRoute(
    method: string,
    application: Application,
    tail: string[],
    body: unknown,
  ): DirectoryAnswer {
    if (tail.length === 0) {
      if (method === 'GET') return { status: 200, json: this.view(application) };
      if (method !== 'PATCH') return error(405, 'Request_BadRequest', `${method} is not allowed here.`);
      const parsed = ApplicationPatch.safeParse(body);
      if (!parsed.success)
        return error(400, 'Request_BadRequest', `Invalid application: ${parsed.error.message}`);
      if (parsed.data.uniqueName !== undefined && parsed.data.uniqueName !== application.uniqueName)
        return error(400, 'Request_BadRequest', 'uniqueName cannot be changed once set.');
      return this.apply(application, parsed.data) ?? { status: 204 };
    }
    if (tail.length === 1 && tail[0] === 'federatedIdentityCredentials') {
      if (method === 'GET') return collection(application.federatedIdentityCredentials);
      if (method !== 'POST') return error(405, 'Request_BadRequest', `${method} is not allowed here.`);
      const parsed = FederatedCredentialCreate.safeParse(body);
      if (!parsed.success)
        return error(400, 'Request_BadRequest', `Invalid credential: ${parsed.error.message}`);
      const clash = application.federatedIdentityCredentials.find(
        (credential) =>
          credential.name === parsed.data.name ||
          (credential.issuer === parsed.data.issuer && credential.subject === parsed.data.subject),
      );
      if (clash !== undefined)
        return error(
          409,
          'Request_MultipleObjectsWithSameKeyValue',
          'FederatedIdentityCredential with the same name or issuer and subject already exists.',
        );
      const credential = { ...parsed.data, id: randomUUID() };
      application.federatedIdentityCredentials.push(credential);
      return { status: 201, json: credential };
    }
    return error(
      400,
      'BadRequest',
      `The simulator does not serve ${method} applications/…/${tail.join('/')}.`,
    );
  }

  /** Graph's rules for app roles: unique values and ids; a role's id never changes while it exists. */
  private apply(application: Application, patch: ApplicationPatch): DirectoryAnswer | undefined {
    if (patch.appRoles !== undefined) {
      const values = patch.appRoles.map((role) => role.value);
      const ids = patch.appRoles.map((role) => role.id);
      if (new Set(values).size !== values.length || new Set(ids).size !== ids.length)
        return error(400, 'Request_BadRequest', 'App roles must have unique values and ids.');
      const removedWhileEnabled = application.appRoles.find(
        (role) => role.isEnabled && !patch.appRoles!.some((kept) => kept.id === role.id),
      );
      if (removedWhileEnabled !== undefined)
        return error(
          400,
          'CannotDeleteOrUpdateEnabledEntitlement',
          'Property value cannot be deleted unless it is disabled first.',
        );
    }
    const { web, ...rest } = patch;
    Object.assign(application, rest);
    if (web?.redirectUris !== undefined) application.web.redirectUris = web.redirectUris;
    if (web?.implicitGrantSettings !== undefined)
      application.web.implicitGrantSettings = web.implicitGrantSettings;
    const principal = [...this.servicePrincipals.values()].find(
      (candidate) => candidate.appId === application.appId,
    );
    if (principal !== undefined) principal.appRoles = application.appRoles;
    return undefined;
  }

  private view(application: Application): Record<string, unknown> {
    const { federatedIdentityCredentials: _credentials, ...visible } = application;
    return visible;
  }

  private createServicePrincipal(body: unknown): DirectoryAnswer {
    const parsed = ServicePrincipalCreate.safeParse(body);
    if (!parsed.success)
      return error(400, 'Request_BadRequest', `Invalid service principal: ${parsed.error.message}`);
    const application = this.findApplication('appId', parsed.data.appId);
    if (application === undefined)
      return error(400, 'Request_BadRequest', `No application with appId ${parsed.data.appId}.`);
    if ([...this.servicePrincipals.values()].some((candidate) => candidate.appId === parsed.data.appId))
      return error(409, 'Request_MultipleObjectsWithSameKeyValue', 'The service principal already exists.');
    const principal: ServicePrincipal = {
      id: randomUUID(),
      appId: application.appId,
      displayName: application.displayName ?? '',
      servicePrincipalType: 'Application',
      appRoleAssignmentRequired: parsed.data.appRoleAssignmentRequired ?? false,
      appRoles: application.appRoles,
    };
    this.servicePrincipals.set(principal.id, principal);
    return { status: 201, json: principal };
  }

  private principalRoute(
    method: string,
    principal: ServicePrincipal,
    tail: string[],
    body: unknown,
  ): DirectoryAnswer {
    if (tail.length === 0 && method === 'GET') return { status: 200, json: principal };
    if (tail.length === 1 && tail[0] === 'appRoleAssignments' && method === 'GET')
      return collection(this.assignments.filter((assignment) => assignment.principalId === principal.id));
    if (tail.length === 1 && tail[0] === 'appRoleAssignedTo') {
      if (method === 'GET')
        return collection(this.assignments.filter((assignment) => assignment.resourceId === principal.id));
      if (method === 'POST') return this.assign(principal, body);
    }
    return error(
      400,
      'BadRequest',
      `The simulator does not serve ${method} servicePrincipals/…/${tail.join('/')}.`,
    );
  }

  private assign(resource: ServicePrincipal, body: unknown): DirectoryAnswer {
    const parsed = AssignmentCreate.safeParse(body);
    if (!parsed.success)
      return error(400, 'Request_BadRequest', `Invalid assignment: ${parsed.error.message}`);
    const { principalId, appRoleId } = parsed.data;
    if (parsed.data.resourceId !== resource.id)
      return error(400, 'Request_BadRequest', 'resourceId must be the service principal of the URL.');
    const role = resource.appRoles.find((candidate) => candidate.id === appRoleId && candidate.isEnabled);
    if (role === undefined)
      return error(400, 'Request_BadRequest', 'Permission being assigned was not found on application');
    const principalType =
      principalId === this.me.id
        ? 'User'
        : this.servicePrincipals.has(principalId)
          ? 'ServicePrincipal'
          : undefined;
    if (principalType === undefined) return notFound(principalId);
    if (!role.allowedMemberTypes.includes(principalType === 'User' ? 'User' : 'Application'))
      return error(400, 'Request_BadRequest', `The app role does not allow member type ${principalType}.`);
    if (
      this.assignments.some(
        (assignment) =>
          assignment.principalId === principalId &&
          assignment.appRoleId === appRoleId &&
          assignment.resourceId === resource.id,
      )
    )
      return error(400, 'Request_BadRequest', 'Permission being assigned already exists on the object');
    const assignment: AppRoleAssignment = {
      id: randomUUID(),
      principalId,
      principalType,
      resourceId: resource.id,
      appRoleId,
    };
    this.assignments.push(assignment);
    return { status: 201, json: assignment };
  }
}
