import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import type { AppConfig } from '../config/AppConfig';

/**
 * The app's one credential, shared by the Graph client and every storage client, so one token
 * cache serves both. A managed identity is asked for by its client id alone: no environment,
 * workload or developer credential is tried first, and no other identity of the app can answer.
 */
export function createCredential(config: Pick<AppConfig, 'credential'>): TokenCredential {
  switch (config.credential.kind) {
    case 'managedIdentity':
      return new ManagedIdentityCredential({ clientId: config.credential.clientId });
    case 'servicePrincipal':
    case 'developer':
      return new DefaultAzureCredential();
  }
}
