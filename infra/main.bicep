targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment: names the resource group and seeds the unique suffix of every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource. It must offer the Flex Consumption plan (az functionapp list-flexconsumption-locations).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Microsoft Graph application roles the postprovision hook grants the managed identity (see docs/deploy.md). User.Read.All lists the users (GET /users with accountEnabled) and reads their photos; GroupMember.Read.All reads the members of the scope groups. Add ProfilePhoto.Read.All where policy wants the photo permission granted by name.')
@allowed([
  'User.Read.All'
  'GroupMember.Read.All'
  'ProfilePhoto.Read.All'
])
param graphAppRoles array = [
  'User.Read.All'
  'GroupMember.Read.All'
]

@description('Client id of the sign-in app registration, which the preprovision hook creates (AUTH_CLIENT_ID). Empty: no App Service authentication, and the app refuses every caller but /api/health.')
param authClientId string = ''

@description('Put the storage account behind private endpoints and the app in a virtual network, as the azd Flex Consumption quickstarts offer. Off by default.')
param vnetEnabled bool = false

@description('E-mail address of the run alerts (a failed or interrupted run, a run overdue). Empty: no alerts.')
param alertEmail string = ''

@description('Hours within which a run must complete: the timer schedule (every 4 hours by default) plus a margin.')
@minValue(1)
@maxValue(48)
param runCompletionHours int = 5

@description('GRAPH_BASE_URL: the Graph root, version segment included.')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('PHOTO_SYNC_SCHEDULE: six-field NCRONTAB of the timer that starts a run.')
param photoSyncSchedule string = '0 0 */4 * * *'

@description('PHOTO_RECHECK_DAYS: re-download and re-hash a photo at least this often even if its ETag is unchanged.')
@minValue(1)
@maxValue(3650)
param photoRecheckDays int = 7

@description('PHOTO_REMOVAL_LIMIT: most photos one run removes for scope or departure; above it none (POST /api/sync {"allowRemovals": true} lifts it once).')
@minValue(1)
@maxValue(1000000)
param photoRemovalLimit int = 500

@description('PHOTO_HISTORY_DAYS: history older than this (the photo change feed, photo log, settings history, runs) is deleted.')
@minValue(1)
@maxValue(3650)
param photoHistoryDays int = 90

@description('PHOTO_QUEUE: the photo job queue; the app also uses <name>-poison, <name>-runs and <name>-runs-poison.')
@minLength(3)
@maxLength(51)
param photoQueueName string = 'photo-sync-jobs'

@description('PHOTO_CONTAINER: the private blob container of the photos.')
@minLength(3)
@maxLength(63)
param photoContainerName string = 'user-photos'

@description('Upper bound of Flex Consumption instances. Graph throttles per app and tenant, so more instances do not make a run faster past a point.')
param maximumInstanceCount int = 100

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: 'app-package'
    photoContainerName: photoContainerName
    photoQueueName: photoQueueName
    privateOnly: vnetEnabled
  }
}

module network 'app/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: tags
  }
}

module storagePrivateEndpoints 'app/storage-private-endpoints.bicep' = if (vnetEnabled) {
  name: 'storagePrivateEndpoints'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    vnetId: network!.outputs.id
    subnetId: network!.outputs.privateEndpointSubnetId
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module alerts 'app/alerts.bicep' = if (!empty(alertEmail)) {
  name: 'alerts'
  scope: rg
  params: {
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    location: location
    tags: tags
    alertEmail: alertEmail
    runCompletionHours: runCompletionHours
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    principalId: identity.outputs.principalId
  }
}

module api 'app/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    graphBaseUrl: graphBaseUrl
    photoSyncSchedule: photoSyncSchedule
    photoRecheckDays: photoRecheckDays
    photoRemovalLimit: photoRemovalLimit
    photoHistoryDays: photoHistoryDays
    photoQueueName: photoQueueName
    photoContainerName: photoContainerName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    signInEnabled: !empty(authClientId)
    subnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
  }
}

module authentication 'app/authentication.bicep' = if (!empty(authClientId)) {
  name: 'authentication'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    clientId: authClientId
    identityCredentialSetting: api.outputs.signInCredentialSetting
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_URL string = api.outputs.url
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output GRAPH_APP_ROLES array = graphAppRoles
output AUTH_CLIENT_ID string = authClientId
