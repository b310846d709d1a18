// App Service authentication (Easy Auth v2) in front of every function: Entra ID signs the caller in
// with the console's app registration (created by the azd preprovision hook), and the platform
// passes the caller, app roles included, to the app in x-ms-client-principal. The platform sets
// WEBSITE_AUTH_ENABLED=True in the app once this is enabled; the app reads that to trust the header
// and fails closed without it.
param functionAppName string

@description('Client id of the sign-in app registration.')
param clientId string

@description('Name of the app setting Easy Auth proves the registration with: the managed identity (a federated credential), no secret.')
param identityCredentialSetting string

resource functionApp 'Microsoft.Web/sites@2023-12-01' existing = {
  name: functionAppName
}

resource authSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      // A browser without a session is sent to sign in; a script sends a bearer token instead.
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      // Anonymous by design: it tells only whether storage and Graph are reachable.
      excludedPaths: [
        '/api/health'
      ]
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          clientId: clientId
          clientSecretSettingName: identityCredentialSetting
        }
        validation: {
          // The console's session (the client id) and a script's token for api://<client id>.
          allowedAudiences: [
            'api://${clientId}'
            clientId
          ]
        }
      }
    }
    login: {
      // The app calls no API on the caller's behalf, so no token needs keeping.
      tokenStore: {
        enabled: false
      }
    }
  }
}
