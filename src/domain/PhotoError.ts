import { z } from 'zod';

/**
 * Why a photo job failed for one user. The codes are stable: they are stored in `lastError`,
 * returned by the API, logged, and queried in Application Insights.
 */
export const PHOTO_ERROR_CODES = [
  'permissionDenied',
  /** Graph refused the app's token itself (401): a credential problem, not a missing permission. */
  'authenticationFailed',
  'throttled',
  'graphError',
  'timeout',
  'networkError',
  'badMetadata',
  'notAnImage',
  'contentTypeMismatch',
  'emptyPhoto',
  'photoTooLarge',
  'truncatedPhoto',
  /** The whole photo job failed every delivery the queue allows (see the run's log). */
  'jobFailed',
] as const;

export type PhotoErrorCode = (typeof PHOTO_ERROR_CODES)[number];

export interface PhotoError {
  code: PhotoErrorCode;
  message: string;
}

export const PhotoErrorSchema = z.object({ code: z.enum(PHOTO_ERROR_CODES), message: z.string() });

export const PERMISSION_REMEDIATION =
  'Grant the app the Microsoft Graph application permission ProfilePhoto.Read.All (photos) or ' +
  'User.Read.All (photos, and the user listing the planner needs) and have an administrator grant ' +
  'admin consent; with a managed identity, assign the app role to the identity (docs/deploy.md).';

export function authenticationFailed(graphCode: string): PhotoError {
  return {
    code: 'authenticationFailed',
    message:
      `Microsoft Graph rejected the app's access token (${graphCode}). Check the credential: the ` +
      "managed identity (AZURE_CLIENT_ID) or the app registration's secret or certificate, and that " +
      'it belongs to this tenant.',
  };
}

export function permissionDenied(graphCode: string): PhotoError {
  return {
    code: 'permissionDenied',
    message: `Microsoft Graph denied access to the photo (${graphCode}). ${PERMISSION_REMEDIATION}`,
  };
}
