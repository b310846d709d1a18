import { z } from 'zod';

/** The directory objects of the simulator and the bodies Graph accepts for them (DirectoryAdmin). */
export const AppRole = z.object({
  id: z.uuid(),
  value: z.string().min(1),
  displayName: z.string().min(1),
  description: z.string().min(1),
  allowedMemberTypes: z.array(z.enum(['User', 'Application'])).min(1),
  isEnabled: z.boolean(),
});
export type AppRole = z.infer<typeof AppRole>;

export const PermissionScope = z.object({
  id: z.uuid(),
  value: z.string().min(1),
  type: z.enum(['User', 'Admin']),
  isEnabled: z.boolean(),
  adminConsentDisplayName: z.string().min(1),
  adminConsentDescription: z.string().min(1),
  userConsentDisplayName: z.string().optional(),
  userConsentDescription: z.string().optional(),
});

export const ApiSettings = z.strictObject({
  requestedAccessTokenVersion: z
    .union([z.literal(1), z.literal(2)])
    .nullable()
    .optional(),
  oauth2PermissionScopes: z.array(PermissionScope).optional(),
  preAuthorizedApplications: z
    .array(z.strictObject({ appId: z.uuid(), delegatedPermissionIds: z.array(z.uuid()) }))
    .optional(),
});
export type ApiSettings = z.infer<typeof ApiSettings>;

export const ApplicationPatch = z.strictObject({
  displayName: z.string().min(1).optional(),
  uniqueName: z.string().min(1).optional(),
  signInAudience: z.enum(['AzureADMyOrg', 'AzureADMultipleOrgs']).optional(),
  identifierUris: z.array(z.string()).optional(),
  appRoles: z.array(AppRole).optional(),
  api: ApiSettings.optional(),
  web: z
    .strictObject({
      redirectUris: z.array(z.url()).optional(),
      implicitGrantSettings: z.strictObject({ enableIdTokenIssuance: z.boolean() }).optional(),
    })
    .optional(),
  tags: z.array(z.string()).optional(),
});
export type ApplicationPatch = z.infer<typeof ApplicationPatch>;

export const ServicePrincipalCreate = z.strictObject({
  appId: z.string(),
  appRoleAssignmentRequired: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
});
export const AssignmentCreate = z.strictObject({
  principalId: z.uuid(),
  resourceId: z.uuid(),
  appRoleId: z.uuid(),
});
export const FederatedCredentialCreate = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,119}$/),
  issuer: z.url(),
  subject: z.string().min(1),
  audiences: z.array(z.string()).length(1),
  description: z.string().optional(),
});

export interface Application extends ApplicationPatch {
  id: string;
  appId: string;
  identifierUris: string[];
  appRoles: AppRole[];
  api: { requestedAccessTokenVersion: 1 | 2 | null } & Required<
    Omit<ApiSettings, 'requestedAccessTokenVersion'>
  >;
  web: { redirectUris: string[]; implicitGrantSettings: { enableIdTokenIssuance: boolean } };
  federatedIdentityCredentials: Array<z.infer<typeof FederatedCredentialCreate> & { id: string }>;
}

export interface ServicePrincipal {
  id: string;
  appId: string;
  displayName: string;
  servicePrincipalType: 'Application' | 'ManagedIdentity';
  appRoleAssignmentRequired: boolean;
  appRoles: AppRole[];
}

export interface AppRoleAssignment {
  id: string;
  principalId: string;
  principalType: 'User' | 'ServicePrincipal';
  resourceId: string;
  appRoleId: string;
}
