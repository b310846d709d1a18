/**
 * Why a run did less than it could, in the run's `warnings` (always an array): the run still
 * completed. `count` where a number says how much (e.g. the removals held back).
 */
export interface RunWarning {
  code: RunWarningCode;
  message: string;
  count?: number;
}

export const RUN_WARNING_CODES = [
  /** More scope or departure removals than PHOTO_REMOVAL_LIMIT: none of them this run. */
  'removalLimitExceeded',
  /** A scope group Graph does not know (404). */
  'scopeGroupNotFound',
  /** A scope group's member listing broke off. */
  'scopeListingFailed',
  /** The user listing broke off: no departure or scope removal this run. */
  'listUsersFailed',
  /** Graph no longer kept the stored delta link (410, expired or invalid): the run listed every user. */
  'deltaLinkExpired',
] as const;

export type RunWarningCode = (typeof RUN_WARNING_CODES)[number];
