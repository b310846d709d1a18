import type { TokenCredential } from '@azure/identity';
import { Client, type AuthenticationProvider, type FetchOptions } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { AppConfig } from '../config/AppConfig';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const GRAPH_HOSTS = new Set([
  'graph.microsoft.com',
  'graph.microsoft.us',
  'dod-graph.microsoft.us',
  'microsoftgraph.chinacloudapi.cn',
]);

/** Where the SDK's `baseUrl` ends and its version segment begins, for any https Graph root. */
export function splitGraphRoot(graphBaseUrl: string): {
  baseUrl: string;
  version: string;
  host: string;
  origin: string;
} {
  const url = new URL(graphBaseUrl);
  const segments = url.pathname.split('/').filter(Boolean);
  const version = segments.pop() ?? 'v1.0';
  const prefix = segments.length > 0 ? `/${segments.join('/')}` : '';
  return { baseUrl: `${url.origin}${prefix}`, version, host: url.hostname, origin: url.origin };
}

function authProvider(config: AppConfig, credential: TokenCredential): AuthenticationProvider {
  if (config.graphAuth.kind === 'fixedToken') {
    const token = config.graphAuth.token;
    return { getAccessToken: async () => token };
  }
  return graphTokenProvider(credential);
}

/**
 * The Graph SDK client with its default middleware (auth, RetryHandler for 429/503/504 honouring
 * Retry-After, redirects). A non-Microsoft root (simulator, proxy) must be named in `customHosts`,
 * or the SDK does not send the bearer token to it. `fetchOptions` go to every request (the
 * simulator's tests pass an undici dispatcher that trusts its certificate).
 */
export function createGraphClient(
  config: AppConfig,
  credential: TokenCredential,
  fetchOptions?: FetchOptions,
  provider: AuthenticationProvider = authProvider(config, credential),
): Client {
  return graphClientAt(config.graphBaseUrl, provider, fetchOptions);
}

/** The same client for any Graph root and credential (the deploy hooks use the deployer's). */
export function graphClientAt(
  graphBaseUrl: string,
  provider: AuthenticationProvider,
  fetchOptions?: FetchOptions,
): Client {
  const root = splitGraphRoot(graphBaseUrl);
  return Client.initWithMiddleware({
    authProvider: provider,
    fetchOptions,
    baseUrl: root.baseUrl,
    defaultVersion: root.version,
    customHosts: GRAPH_HOSTS.has(root.host) ? undefined : new Set([root.host]),
  });
}

/** A provider that asks `credential` for a Graph token (`https://graph.microsoft.com/.default`). */
export function graphTokenProvider(credential: TokenCredential): AuthenticationProvider {
  return new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH_SCOPE] });
}
