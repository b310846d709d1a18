import type { PhotoError } from './PhotoError';
import type { PhotoOutcome } from './PhotoOutcome';

/** A user's identity record as the app reads it back: core attributes and the stored photo's state. */
export interface IdentityRecord {
  /** The Entra object id. */
  userId: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  userPrincipalName: string | null;
  accountEnabled: boolean | null;
  photo: {
    /** Set while a photo is stored. */
    sha256: string | null;
    contentType: string | null;
    bytes: number | null;
    lastResult: PhotoOutcome | null;
    lastRunId: string | null;
    lastCheckedAt: string | null;
    lastChangedAt: string | null;
    lastError: PhotoError | null;
  };
}
