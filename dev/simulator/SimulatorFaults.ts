export interface ErrorFault {
  status: number;
  code: string;
  /** How many photo requests get this error; unlimited when absent. */
  times?: number;
}

/**
 * Faults, applied to photo requests (direct and inside `$batch`) unless noted. User keys are user
 * ids (lowercase GUIDs); the control API also accepts userPrincipalNames and converts them.
 */
export interface SimulatorFaults {
  /** 403 `ErrorAccessDenied` for everyone (`true`) or for these users. */
  permissionDenied: boolean | Set<string>;
  /** The next N requests for the user get 429 with `Retry-After`. */
  throttle: Map<string, number>;
  /** Token bucket over all photo requests (burst: one second's worth). Undefined: no limit. */
  throttleRps: number | undefined;
  errorFor: Map<string, ErrorFault>;
  /** Share of photo requests failing with 429, 500, 502, 503 or 504, drawn from `randomFailureSeed`. */
  randomFailureRate: number;
  randomFailureSeed: number;
  stallMs: number;
  stallFor: Set<string> | 'all';
  /** Direct requests only: the socket is destroyed instead of answering. */
  resetConnectionFor: Set<string>;
  /** Direct `$value` requests only: full Content-Length, half the bytes, then the socket ends. */
  truncateBodyFor: Set<string>;
  /** List pages (`/users` and `/users/delta`) with index >= N (first page: 0) answer 500. */
  listFailAfterPages: number | undefined;
  /** `/users/delta` with a `$deltatoken` answers 410 `syncStateNotFound`, as for a token Graph no longer keeps. */
  deltaTokenExpired: boolean;
  /** Group member pages with index >= N (first page: 0) answer 500. */
  groupListFailAfterPages: number | undefined;
  /** Group member listings answer 403, as without GroupMember.Read.All. */
  groupPermissionDenied: boolean;
  /** Every Graph request gets 401 (the control API keeps working). */
  tokenRejected: boolean;
}

export function defaultFaults(throttleRps: number | undefined): SimulatorFaults {
  return {
    permissionDenied: false,
    throttle: new Map(),
    throttleRps,
    errorFor: new Map(),
    randomFailureRate: 0,
    randomFailureSeed: 1,
    stallMs: 0,
    stallFor: new Set(),
    resetConnectionFor: new Set(),
    truncateBodyFor: new Set(),
    listFailAfterPages: undefined,
    deltaTokenExpired: false,
    groupListFailAfterPages: undefined,
    groupPermissionDenied: false,
    tokenRejected: false,
  };
}

/** The faults as `GET /_sim/faults` shows them: the shape `POST /_sim/faults` takes. */
export function serializeFaults(faults: SimulatorFaults): Record<string, unknown> {
  return {
    permissionDenied:
      faults.permissionDenied instanceof Set ? [...faults.permissionDenied] : faults.permissionDenied,
    throttle: Object.fromEntries(faults.throttle),
    throttleRps: faults.throttleRps ?? null,
    errorFor: Object.fromEntries(faults.errorFor),
    randomFailureRate: faults.randomFailureRate,
    randomFailureSeed: faults.randomFailureSeed,
    stallMs: faults.stallMs,
    stallFor: faults.stallFor === 'all' ? 'all' : [...faults.stallFor],
    resetConnectionFor: [...faults.resetConnectionFor],
    truncateBodyFor: [...faults.truncateBodyFor],
    listFailAfterPages: faults.listFailAfterPages ?? null,
    deltaTokenExpired: faults.deltaTokenExpired,
    groupListFailAfterPages: faults.groupListFailAfterPages ?? null,
    groupPermissionDenied: faults.groupPermissionDenied,
    tokenRejected: faults.tokenRejected,
  };
}
