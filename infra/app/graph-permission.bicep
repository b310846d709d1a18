// Grants Microsoft Graph application roles to the managed identity, so the app reads users and
// photos with no client secret. Assigning an application role is the admin consent: the deploying
// account needs AppRoleAssignment.ReadWrite.All and Application.Read.All, which in Entra ID means
// Privileged Role Administrator or Global Administrator (Cloud Application Administrator may not
// consent to Microsoft Graph application roles).
extension microsoftGraphV1

@description('Object (principal) id of the managed identity that calls Graph.')
param principalId string

@description('Values of the Graph application roles to grant, such as User.Read.All.')
param appRoles array

// Microsoft Graph's application id, the same in every tenant.
var graphAppId = '00000003-0000-0000-c000-000000000000'

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: graphAppId
}

resource grants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [for appRole in appRoles: {
  principalId: principalId
  resourceId: graph.id
  appRoleId: filter(graph.appRoles, role => role.value == appRole)[0].id
}]
