import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { AzureDeveloperCliCredential } from '@azure/identity';
import { GraphError } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { graphClientAt, graphTokenProvider } from '../../src/graph/createGraphClient';
import { completeSignInRegistration, ensureSignInRegistration, grantGraphAppRoles } from './EntraSetup';

/**
 * azd's `preprovision` and `postprovision` hooks (azure.yaml): `node dist/dev/infra/provisionHook.js
 * <hook>`. azd passes the environment's values (and, after provisioning, the Bicep outputs) as
 * environment variables, and the deployer's sign-in through `azd auth token`, which
 * AzureDeveloperCliCredential uses. Nothing here holds or prints a secret.
 */
const flag = z
  .enum(['true', 'false'])
  .default('true')
  .transform((value) => value === 'true');
const Common = z.object({
  AZURE_ENV_NAME: z.string().min(1),
  AZURE_TENANT_ID: z.string().optional(),
  /** Graph of another cloud (or a simulator): the hooks call the same API there. */
  GRAPH_BASE_URL: z.url().default('https://graph.microsoft.com/v1.0'),
});
const Pre = Common.extend({
  AZURE_SUBSCRIPTION_ID: z.string().min(1),
  /** false: no sign-in registration (the app then fails closed in Azure: see docs/deploy.md). */
  CONFIGURE_SIGN_IN: flag,
  ASSIGN_DEPLOYER_ADMIN: flag,
});
const Post = Common.extend({
  AZURE_TENANT_ID: z.string().min(1),
  AZURE_MANAGED_IDENTITY_PRINCIPAL_ID: z.string().min(1),
  AZURE_FUNCTION_APP_URL: z.url(),
  GRAPH_APP_ROLES: z.string().transform((text) => z.array(z.string()).parse(JSON.parse(text))),
  AUTH_CLIENT_ID: z.string().optional(),
  GRANT_GRAPH_PERMISSION: flag,
  AZURE_AUTHORITY_HOST: z.url().default('https://login.microsoftonline.com'),
});

function graphFor(env: z.infer<typeof Common>) {
  const credential = new AzureDeveloperCliCredential({ tenantId: env.AZURE_TENANT_ID || undefined });
  return graphClientAt(env.GRAPH_BASE_URL, graphTokenProvider(credential));
}

function azdEnvSet(key: string, value: string): void {
  const result = spawnSync('azd', ['env', 'set', key, value], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) throw new Error(`azd env set ${key} failed`);
}

async function preprovision(): Promise<void> {
  const env = Pre.parse(process.env);
  if (!env.CONFIGURE_SIGN_IN) {
    console.log(
      'CONFIGURE_SIGN_IN=false: no sign-in app registration; the console and API refuse every caller.',
    );
    azdEnvSet('AUTH_CLIENT_ID', '');
    return;
  }
  // Unique per environment and subscription, so two environments never share a registration.
  const suffix = createHash('sha256')
    .update(`${env.AZURE_SUBSCRIPTION_ID}/${env.AZURE_ENV_NAME}`)
    .digest('hex')
    .slice(0, 12);
  const registration = await ensureSignInRegistration(graphFor(env), {
    uniqueName: `entra-photo-sync-${suffix}`,
    displayName: `entra-photo-sync (${env.AZURE_ENV_NAME})`,
    assignDeployerAdmin: env.ASSIGN_DEPLOYER_ADMIN,
  });
  for (const change of registration.changes) console.log(`Entra ID: ${change}`);
  azdEnvSet('AUTH_CLIENT_ID', registration.appId);
}

async function postprovision(): Promise<void> {
  const env = Post.parse(process.env);
  const graph = graphFor(env);
  if (env.AUTH_CLIENT_ID) {
    const changes = await completeSignInRegistration(graph, {
      appId: env.AUTH_CLIENT_ID,
      functionAppUrl: env.AZURE_FUNCTION_APP_URL,
      tenantId: env.AZURE_TENANT_ID,
      identityPrincipalId: env.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
      authority: env.AZURE_AUTHORITY_HOST,
    });
    for (const change of changes) console.log(`Entra ID: sign-in registration: ${change}`);
  }
  if (!env.GRANT_GRAPH_PERMISSION) {
    console.log(
      `GRANT_GRAPH_PERMISSION=false: grant ${env.GRAPH_APP_ROLES.join(', ')} by hand (docs/deploy.md).`,
    );
    return;
  }
  const granted = await grantGraphAppRoles(graph, {
    principalId: env.AZURE_MANAGED_IDENTITY_PRINCIPAL_ID,
    roles: env.GRAPH_APP_ROLES,
  });
  console.log(
    granted.length > 0
      ? `Entra ID: granted Microsoft Graph ${granted.join(', ')} to the managed identity.`
      : `Entra ID: the managed identity already holds Microsoft Graph ${env.GRAPH_APP_ROLES.join(', ')}.`,
  );
}

const hooks: Record<string, () => Promise<void>> = { preprovision, postprovision };
const hook = hooks[process.argv[2] ?? ''];
if (hook === undefined) {
  console.error('usage: provisionHook.js preprovision|postprovision');
  process.exitCode = 2;
} else {
  hook().catch((error: unknown) => {
    if (error instanceof GraphError && error.statusCode === 403) {
      console.error(
        `Microsoft Graph refused (${error.code ?? 403}): your account may not change this. Ask a Privileged Role ` +
          'Administrator to run `azd provision` in this environment, or set GRANT_GRAPH_PERMISSION=false / ' +
          'CONFIGURE_SIGN_IN=false and follow docs/deploy.md.',
      );
    } else console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
