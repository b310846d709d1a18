param name string
param planName string
param location string
param tags object

@description('azd finds the app to deploy by this tag: the service name in azure.yaml.')
param serviceName string
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param graphBaseUrl string
param photoSyncSchedule string
param photoRecheckDays int
param photoRemovalLimit int
param photoHistoryDays int
param photoQueueName string
param photoContainerName string
param maximumInstanceCount int
param instanceMemoryMB int

@description('App Service authentication is set up (authentication.bicep): Easy Auth then proves the app registration with the managed identity.')
param signInEnabled bool

@description('Subnet the app joins (vnetEnabled); empty: no virtual network.')
param subnetId string

// Easy Auth reads this setting's value as the client id of the managed identity whose token it
// exchanges for the app registration's (a federated identity credential): no client secret.
var signInCredentialSetting = 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2023-12-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': serviceName
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
    }
    // Flex Consumption takes the runtime from here, not from FUNCTIONS_WORKER_RUNTIME.
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }

  // Every key here is read by the app (src/config/AppConfig.ts) or by the Functions host; a test
  // (test/infra/InfraConsistency.test.ts) keeps this list and the code in step. No secret is set:
  // GRAPH_ACCESS_TOKEN, AZURE_CLIENT_SECRET and AZURE_CLIENT_CERTIFICATE_PATH stay unset, so
  // DefaultAzureCredential falls through to the managed identity.
  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(signInEnabled ? { '${signInCredentialSetting}': identityClientId } : {}, {
      AzureWebJobsStorage__accountName: storage.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      // The app's DefaultAzureCredential takes the user-assigned identity by this client id.
      AZURE_CLIENT_ID: identityClientId
      AZURE_TENANT_ID: tenant().tenantId
      APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      GRAPH_BASE_URL: graphBaseUrl
      PHOTO_SYNC_SCHEDULE: photoSyncSchedule
      PHOTO_RECHECK_DAYS: string(photoRecheckDays)
      PHOTO_REMOVAL_LIMIT: string(photoRemovalLimit)
      PHOTO_HISTORY_DAYS: string(photoHistoryDays)
      PHOTO_QUEUE: photoQueueName
      PHOTO_CONTAINER: photoContainerName
    })
  }
}

output name string = functionApp.name
output signInCredentialSetting string = signInCredentialSetting
output url string = 'https://${functionApp.properties.defaultHostName}'
