/**
 * What an admin does about a photo error, by its code. The error's own message says what
 * happened; this says what to do, in the troubleshooting guide's terms.
 */
const REMEDIES: Record<string, string> = {
  permissionDenied:
    'Grant the app the Microsoft Graph application permission ProfilePhoto.Read.All (or User.Read.All) and have an administrator grant admin consent; then run again.',
  authenticationFailed:
    "Check the app's credential: the managed identity (AZURE_CLIENT_ID) or the app registration's secret or certificate, and that it belongs to this tenant.",
  throttled: 'Microsoft Graph asked the app to slow down. Nothing to do: the next run tries this user again.',
  graphError:
    'Microsoft Graph failed to answer for this user. The next run tries again; if it persists, check the Microsoft 365 service health.',
  timeout: 'Microsoft Graph did not answer in time. The next run tries again.',
  networkError:
    'The app could not reach Microsoft Graph. Check Graph reachable under Health; the next run tries again.',
  badMetadata: "Graph's photo metadata for this user was unreadable. The next run tries again.",
  notAnImage: "The user's photo in Entra ID is not a JPEG, PNG or GIF: upload a new photo for the user.",
  contentTypeMismatch:
    "The user's photo in Entra ID does not match its declared type: upload a new photo for the user.",
  emptyPhoto: "The user's photo in Entra ID is empty: upload a new photo for the user.",
  photoTooLarge: "The user's photo in Entra ID is larger than 4 MiB: upload a smaller photo.",
  truncatedPhoto: 'The photo download broke off. The next run tries again.',
  jobFailed:
    "The user's photo job failed on every delivery; see the run's error and the function log. The next run tries again.",
};

export function remedyFor(code: string): string {
  return REMEDIES[code] ?? 'See the message and the function log; the next run tries again.';
}

/** Words for an outcome, as the runs table and the photo log show them. */
export const OUTCOME_WORDS: Record<string, string> = {
  added: 'added',
  updated: 'updated',
  unchanged: 'unchanged',
  removed: 'removed',
  noPhoto: 'no photo',
  failed: 'failed',
};

/** An outcome as a column or a fact is headed: `No photo`. */
export const outcomeHeading = (outcome: string): string => {
  const word = OUTCOME_WORDS[outcome] ?? outcome;
  return word.charAt(0).toUpperCase() + word.slice(1);
};
