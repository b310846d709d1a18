import { randomUUID } from 'node:crypto';
import {
  ApplicationPatch,
  AssignmentCreate,
  FederatedCredentialCreate,
  ServicePrincipalCreate,
  type Application,
  type AppRoleAssignment,
  type ServicePrincipal,
} from './DirectoryObjects';
import { graphError, jsonAnswer, methodNotAllowed, type GraphAnswer } from './GraphAnswer';

/**
 * The directory-administration part of the Graph simulator: app registrations (with app roles,
 * redirect URIs, identifier URIs and federated credentials), service principals, app role
 * assignments and `/me`, as far as the azd provisioning hooks use them. Answers as Graph does:
 * alternate keys `applications(appId='…')`, `applications(uniqueName='…')`,
 * `servicePrincipals(appId='…')`; 201 with the object on create, 204 on update, Graph's error codes.
 */
/** Microsoft Graph's own service principal and the application roles this project grants. */
export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
const GRAPH_APP_ROLES = [
  { value: 'User.Read.All', id: 'df021288-bdef-4463-88db-98f22de89214' },
  { value: 'GroupMember.Read.All', id: '98830695-27a2-44f7-8c18-0c3ebc9698f6' },
  { value: 'ProfilePhoto.Read.All', id: '8f6a01e7-0391-4ee5-aa22-a3af122cef27' },
  { value: 'Group.Read.All', id: '5b567255-7703-4780-807c-7be8301ae99b' },
];

const error = graphError;
const noContent = (): GraphAnswer => ({ status: 204, headers: {}, bytes: Buffer.alloc(0) });
const notFound = (what: string): GraphAnswer =>
  error(
    404,
    'Request_ResourceNotFound',
    `Resource '${what}' does not exist or one of its queried reference-property objects are not present.`,
  );
const collection = (value: unknown[]): GraphAnswer => jsonAnswer(200, { value });

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

  /** Whether a path (after the version) is one of these routes rather than users and photos. */
  static serves(segments: readonly string[]): boolean {
    return /^(me|applications|servicePrincipals)(\(|$)/.test(segments[0] ?? '');
  }

  answer(method: string, segments: string[], body: unknown): GraphAnswer {
    const [head, ...rest] = segments;
    if (head === 'me' && rest.length === 0)
      return method === 'GET' ? jsonAnswer(200, this.me) : methodNotAllowed(method);
    if (head === 'applications' && rest.length === 0)
      return method === 'POST' ? this.createApplication(body) : methodNotAllowed(method);
    if (head === 'servicePrincipals' && rest.length === 0)
      return method === 'POST' ? this.createServicePrincipal(body) : methodNotAllowed(method);
    // `applications/{id}/…` or `applications(appId='…')/…`: the object's key, then what follows.
    const keyed = /^(applications|servicePrincipals)\((appId|uniqueName)='([^']*)'\)$/.exec(head);
    const [collection, key, value, tail] =
      keyed !== null ? [keyed[1], keyed[2], keyed[3], rest] : [head, 'id', rest[0], rest.slice(1)];
    if (collection === 'applications') {
      const application =
        key === 'id'
          ? this.applications.get(value)
          : this.findApplication(key as 'appId' | 'uniqueName', value);
      return application === undefined
        ? notFound(value)
        : this.applicationRoute(method, application, tail, body);
    }
    if (collection === 'servicePrincipals' && key !== 'uniqueName') {
      const principal =
        key === 'id'
          ? this.servicePrincipals.get(value)
          : [...this.servicePrincipals.values()].find((candidate) => candidate.appId === value);
      return principal === undefined ? notFound(value) : this.principalRoute(method, principal, tail, body);
    }
    return graphError(400, 'BadRequest', `The simulator does not serve ${method} /${segments.join('/')}.`);
  }

  private findApplication(key: 'appId' | 'uniqueName', value: string): Application | undefined {
    return [...this.applications.values()].find((application) => application[key] === value);
  }

  private createApplication(body: unknown): GraphAnswer {
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
      api: { requestedAccessTokenVersion: null, oauth2PermissionScopes: [], preAuthorizedApplications: [] },
      appRoles: [],
      web: { redirectUris: [], implicitGrantSettings: { enableIdTokenIssuance: false } },
      federatedIdentityCredentials: [],
    };
    const invalid = this.apply(application, parsed.data);
    if (invalid !== undefined) return invalid;
    this.applications.set(application.id, application);
    return jsonAnswer(201, this.view(application));
  }

  private applicationRoute(
    method: string,
    application: Application,
    tail: string[],
    body: unknown,
  ): GraphAnswer {
    if (tail.length === 0) {
      if (method === 'GET') return jsonAnswer(200, this.view(application));
      if (method !== 'PATCH') return methodNotAllowed(method);
      const parsed = ApplicationPatch.safeParse(body);
      if (!parsed.success)
        return error(400, 'Request_BadRequest', `Invalid application: ${parsed.error.message}`);
      if (parsed.data.uniqueName !== undefined && parsed.data.uniqueName !== application.uniqueName)
        return error(400, 'Request_BadRequest', 'uniqueName cannot be changed once set.');
      return this.apply(application, parsed.data) ?? noContent();
    }
    if (tail.length === 1 && tail[0] === 'federatedIdentityCredentials') {
      if (method === 'GET') return collection(application.federatedIdentityCredentials);
      if (method !== 'POST') return methodNotAllowed(method);
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
      return jsonAnswer(201, credential);
    }
    return error(
      400,
      'BadRequest',
      `The simulator does not serve ${method} applications/…/${tail.join('/')}.`,
    );
  }

  /** Graph's rules for app roles: unique values and ids; a role's id never changes while it exists. */
  private apply(application: Application, patch: ApplicationPatch): GraphAnswer | undefined {
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
    const { web, api, ...rest } = patch;
    if (api !== undefined) {
      const scopes = api.oauth2PermissionScopes ?? application.api.oauth2PermissionScopes;
      const unknown = (api.preAuthorizedApplications ?? [])
        .flatMap((client) => client.delegatedPermissionIds)
        .find((id) => !scopes.some((scope) => scope.id === id));
      if (unknown !== undefined)
        return error(
          400,
          'Request_BadRequest',
          `Pre-authorized permission ${unknown} is not a scope of this API.`,
        );
    }
    Object.assign(application, rest);
    if (api !== undefined) Object.assign(application.api, api);
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

  private createServicePrincipal(body: unknown): GraphAnswer {
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
    return jsonAnswer(201, principal);
  }

  private principalRoute(
    method: string,
    principal: ServicePrincipal,
    tail: string[],
    body: unknown,
  ): GraphAnswer {
    if (tail.length === 0 && method === 'GET') return jsonAnswer(200, principal);
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

  private assign(resource: ServicePrincipal, body: unknown): GraphAnswer {
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
    return jsonAnswer(201, assignment);
  }
}
