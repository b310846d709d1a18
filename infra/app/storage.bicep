param name string
param location string
param tags object

@description('Where Flex Consumption keeps the deployment package.')
param deploymentContainerName string
param photoContainerName string
param photoQueueName string

@description('Reachable only through private endpoints (vnetEnabled): no public network access.')
param privateOnly bool

// The names the app derives from PHOTO_QUEUE (src/storage/StorageNames.ts queueNames()).
var queueNames = [
  photoQueueName
  '${photoQueueName}-poison'
  '${photoQueueName}-runs'
  '${photoQueueName}-runs-poison'
]

// The app's fixed tables (src/storage/StorageNames.ts TABLES).
var tableNames = [
  'PhotoSyncUsers'
  'PhotoSyncRuns'
  'PhotoSyncRunIndex'
  'PhotoSyncSettings'
  'PhotoSyncEvents'
  'PhotoSyncScope'
  'PhotoSyncUserSearch'
  'PhotoSyncChanges'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    // Photos are personal data: no container of this account can ever be opened to anonymous reads.
    allowBlobPublicAccess: false
    // No account key, so no connection string to leak: the host and the app sign in with the identity.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: privateOnly ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateOnly ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }

    resource photoContainer 'containers' = {
      name: photoContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [for queueName in queueNames: {
      name: queueName
    }]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [for tableName in tableNames: {
      name: tableName
    }]
  }
}

output name string = storage.name
output deploymentContainerName string = storage::blobService::deploymentContainer.name
