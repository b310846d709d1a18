import type { PhotoError } from './PhotoError';
import type { PhotoOutcome } from './PhotoOutcome';

/** The core attributes the planner keeps for every user, as Graph lists them. */
export interface CoreAttributes {
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  userPrincipalName: string | null;
  accountEnabled: boolean | null;
}

/** A user's identity record as the app reads it back: core attributes and the stored photo's state. */
export interface IdentityRecord extends CoreAttributes {
  /** The Entra object id. */
  userId: string;
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
