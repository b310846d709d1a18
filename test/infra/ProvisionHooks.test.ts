import { rootCertificates } from 'node:tls';
import type { Client, FetchOptions } from '@microsoft/microsoft-graph-client';
import { Agent } from 'undici';
import {
  AUTH_CALLBACK_PATH,
  AZURE_CLI_APP_ID,
  SCRIPT_SCOPE,
  completeSignInRegistration,
  ensureSignInRegistration,
  grantGraphAppRoles,
  MICROSOFT_GRAPH_APP_ID,
  SIGN_IN_APP_ROLES,
  TOKEN_EXCHANGE_AUDIENCE,
} from '../../dev/infra/EntraSetup';
import { GraphSimulator } from '../../dev/simulator/GraphSimulator';
import { SimulatedTenant } from '../../dev/simulator/SimulatedTenant';
import { graphClientAt } from '../../src/graph/createGraphClient';
import { ADMIN_ROLE } from '../../src/http/ClientPrincipal';

/**
 * The azd provisioning hooks' Graph calls, through the real Graph SDK against the https Graph
 * simulator's directory routes; every effect is read back through Graph.
 */
let sim: GraphSimulator;
let graph: Client;

interface AppView {
  id: string;
  appId: string;
  identifierUris: string[];
  appRoles: Array<{ id: string; value: string; isEnabled: boolean; allowedMemberTypes: string[] }>;
  web: { redirectUris: string[] };
  api: {
    requestedAccessTokenVersion: number | null;
    oauth2PermissionScopes: Array<{ id: string; value: string }>;
    preAuthorizedApplications: Array<{ appId: string; delegatedPermissionIds: string[] }>;
  };
}

beforeAll(async () => {
  sim = await GraphSimulator.start({ tenant: new SimulatedTenant({ userCount: 1 }) });
  const dispatcher = new Agent({ connect: { ca: [...rootCertificates, sim.caCertPem] } });
  graph = graphClientAt(sim.baseUrl, { getAccessToken: async () => sim.token }, {
    dispatcher,
  } as FetchOptions);
});

afterAll(async () => {
  await sim.stop();
});

const OPTIONS = {
  uniqueName: 'entra-photo-sync-test',
  displayName: 'entra-photo-sync (test)',
  assignDeployerAdmin: true,
};
const app = async (appId: string): Promise<AppView> =>
  (await graph.api(`/applications(appId='${appId}')`).get()) as AppView;

describe('preprovision: the sign-in app registration', () => {
  it('creates it with the app roles the app checks, an api:// identifier, and a service principal only assigned users may use', async () => {
    const registration = await ensureSignInRegistration(graph, OPTIONS);
    const created = await app(registration.appId);
    expect(created.appRoles.map((role) => role.value).sort()).toEqual([
      'PhotoSync.Admin',
      'PhotoSync.Reader',
    ]);
    expect(created.appRoles.map((role) => role.value)).toContain(ADMIN_ROLE);
    for (const role of created.appRoles) {
      expect(role.isEnabled).toBe(true);
      expect(role.allowedMemberTypes.sort()).toEqual(['Application', 'User']);
    }
    expect(created.identifierUris).toEqual([`api://${registration.appId}`]);
    // A script's token: v2 (the issuer Easy Auth checks), for a scope the Azure CLI may ask for.
    const scope = created.api.oauth2PermissionScopes.find((candidate) => candidate.value === SCRIPT_SCOPE);
    expect(created.api.requestedAccessTokenVersion).toBe(2);
    expect(created.api.preAuthorizedApplications).toEqual([
      { appId: AZURE_CLI_APP_ID, delegatedPermissionIds: [scope!.id] },
    ]);
    const principal = (await graph.api(`/servicePrincipals(appId='${registration.appId}')`).get()) as {
      id: string;
      appRoleAssignmentRequired: boolean;
    };
    expect(principal).toMatchObject({ id: registration.servicePrincipalId, appRoleAssignmentRequired: true });
    const me = (await graph.api('/me').get()) as { id: string };
    const assigned = (await graph.api(`/servicePrincipals/${principal.id}/appRoleAssignedTo`).get()) as {
      value: Array<{ principalId: string; appRoleId: string }>;
    };
    const adminRoleId = created.appRoles.find((role) => role.value === ADMIN_ROLE)!.id;
    expect(assigned.value).toEqual([expect.objectContaining({ principalId: me.id, appRoleId: adminRoleId })]);
  });

  it('changes nothing the second time: same registration, same role ids', async () => {
    const first = await ensureSignInRegistration(graph, OPTIONS);
    const before = await app(first.appId);
    const second = await ensureSignInRegistration(graph, OPTIONS);
    expect(second).toEqual({ ...first, changes: [] });
    expect(await app(second.appId)).toEqual(before);
  });

  it('completes a registration someone changed: keeps their roles and ids, adds what is missing', async () => {
    const custom = {
      uniqueName: 'entra-photo-sync-edited',
      displayName: 'edited',
      assignDeployerAdmin: false,
    };
    const created = (await graph.api('/applications').post({
      uniqueName: custom.uniqueName,
      displayName: custom.displayName,
      appRoles: [
        {
          id: '11111111-1111-4111-8111-111111111111',
          value: 'PhotoSync.Reader',
          displayName: 'Reader (renamed)',
          description: 'kept',
          allowedMemberTypes: ['User'],
          isEnabled: true,
        },
        {
          id: '22222222-2222-4222-8222-222222222222',
          value: 'Helpdesk.Viewer',
          displayName: 'Helpdesk',
          description: 'not ours',
          allowedMemberTypes: ['User'],
          isEnabled: true,
        },
      ],
    })) as AppView;
    await ensureSignInRegistration(graph, custom);
    const roles = (await app(created.appId)).appRoles;
    expect(roles.map((role) => [role.value, role.id])).toEqual([
      ['PhotoSync.Reader', '11111111-1111-4111-8111-111111111111'],
      ['Helpdesk.Viewer', '22222222-2222-4222-8222-222222222222'],
      ['PhotoSync.Admin', expect.stringMatching(/^[0-9a-f-]{36}$/)],
    ]);
  });

  it('declares the roles in one place: values as the app checks them', () => {
    expect(SIGN_IN_APP_ROLES.map((role) => role.value)).toEqual(['PhotoSync.Reader', ADMIN_ROLE]);
  });
});

describe('postprovision: redirect URI, federated credential and the Graph grants', () => {
  it('adds Easy Auth callback and the managed identity as a federated credential, once', async () => {
    const registration = await ensureSignInRegistration(graph, OPTIONS);
    const identity = sim.directory.addManagedIdentity('id-test');
    const options = {
      appId: registration.appId,
      functionAppUrl: 'https://func-test.azurewebsites.net',
      tenantId: '00000000-0000-0000-0000-00000000feed',
      identityPrincipalId: identity.id,
      authority: 'https://login.microsoftonline.com',
    };
    expect(await completeSignInRegistration(graph, options)).toHaveLength(2);
    expect((await app(registration.appId)).web.redirectUris).toEqual([
      `https://func-test.azurewebsites.net${AUTH_CALLBACK_PATH}`,
    ]);
    const credentials = (await graph
      .api(`/applications/${registration.objectId}/federatedIdentityCredentials`)
      .get()) as { value: Array<{ issuer: string; subject: string; audiences: string[] }> };
    expect(credentials.value).toEqual([
      expect.objectContaining({
        issuer: `https://login.microsoftonline.com/${options.tenantId}/v2.0`,
        subject: identity.id,
        audiences: [TOKEN_EXCHANGE_AUDIENCE],
      }),
    ]);
    expect(await completeSignInRegistration(graph, options)).toEqual([]);
  });

  it('grants the managed identity exactly the Graph application roles asked for, once', async () => {
    const identity = sim.directory.addManagedIdentity('id-grants');
    const roles = ['User.Read.All', 'GroupMember.Read.All'];
    expect(await grantGraphAppRoles(graph, { principalId: identity.id, roles })).toEqual(roles);
    expect(await grantGraphAppRoles(graph, { principalId: identity.id, roles })).toEqual([]);
    const graphPrincipal = (await graph
      .api(`/servicePrincipals(appId='${MICROSOFT_GRAPH_APP_ID}')`)
      .get()) as {
      id: string;
      appRoles: Array<{ id: string; value: string }>;
    };
    const held = (await graph.api(`/servicePrincipals/${identity.id}/appRoleAssignments`).get()) as {
      value: Array<{ resourceId: string; appRoleId: string }>;
    };
    expect(held.value.map((assignment) => assignment.resourceId)).toEqual([
      graphPrincipal.id,
      graphPrincipal.id,
    ]);
    expect(
      held.value.map(
        (assignment) => graphPrincipal.appRoles.find((role) => role.id === assignment.appRoleId)?.value,
      ),
    ).toEqual(roles);
  });

  it('refuses a role Graph does not have, granting nothing', async () => {
    const identity = sim.directory.addManagedIdentity('id-typo');
    await expect(
      grantGraphAppRoles(graph, { principalId: identity.id, roles: ['User.Read.Al'] }),
    ).rejects.toThrow('Microsoft Graph has no application role User.Read.Al');
    const held = (await graph.api(`/servicePrincipals/${identity.id}/appRoleAssignments`).get()) as {
      value: [];
    };
    expect(held.value).toEqual([]);
  });
});
