import { z } from 'zod';
import type { SimulatorFaults } from './SimulatorFaults';

const UserKeys = z.array(z.string());

/** The body of `POST /_sim/faults`: the faults to change, by name. */
export const FaultPatch = z.strictObject({
  /** Restore the defaults before applying the rest. */
  reset: z.boolean().optional(),
  permissionDenied: z.union([z.boolean(), UserKeys]).optional(),
  throttle: z.record(z.string(), z.number().int().nonnegative()).optional(),
  throttleRps: z.number().positive().nullable().optional(),
  errorFor: z
    .record(
      z.string(),
      z.object({
        status: z.number().int().min(400).max(599),
        code: z.string().min(1),
        times: z.number().int().positive().optional(),
      }),
    )
    .optional(),
  randomFailureRate: z.number().min(0).max(1).optional(),
  randomFailureSeed: z.number().optional(),
  stallMs: z.number().nonnegative().optional(),
  stallFor: z.union([z.literal('all'), UserKeys]).optional(),
  resetConnectionFor: UserKeys.optional(),
  truncateBodyFor: UserKeys.optional(),
  listFailAfterPages: z.number().int().nonnegative().nullable().optional(),
  deltaTokenExpired: z.boolean().optional(),
  groupListFailAfterPages: z.number().int().nonnegative().nullable().optional(),
  groupPermissionDenied: z.boolean().optional(),
  tokenRejected: z.boolean().optional(),
});
export type FaultPatch = z.infer<typeof FaultPatch>;

/** Applies all but `reset` (the caller's) to `f`; `userIdFor` turns a user key into a user id. */
export function applyFaultPatch(
  f: SimulatorFaults,
  patch: FaultPatch,
  userIdFor: (key: string) => string,
): void {
  const ids = (keys: string[]): Set<string> => new Set(keys.map(userIdFor));
  const byId = <V>(record: Record<string, V>): Map<string, V> =>
    new Map(Object.entries(record).map(([k, v]) => [userIdFor(k), v]));
  if (patch.permissionDenied !== undefined)
    f.permissionDenied =
      typeof patch.permissionDenied === 'boolean' ? patch.permissionDenied : ids(patch.permissionDenied);
  if (patch.throttle !== undefined) f.throttle = byId(patch.throttle);
  if (patch.throttleRps !== undefined) f.throttleRps = patch.throttleRps ?? undefined;
  if (patch.errorFor !== undefined) f.errorFor = byId(patch.errorFor);
  if (patch.randomFailureRate !== undefined) f.randomFailureRate = patch.randomFailureRate;
  if (patch.randomFailureSeed !== undefined) f.randomFailureSeed = patch.randomFailureSeed;
  if (patch.stallMs !== undefined) f.stallMs = patch.stallMs;
  if (patch.stallFor !== undefined) f.stallFor = patch.stallFor === 'all' ? 'all' : ids(patch.stallFor);
  if (patch.resetConnectionFor !== undefined) f.resetConnectionFor = ids(patch.resetConnectionFor);
  if (patch.truncateBodyFor !== undefined) f.truncateBodyFor = ids(patch.truncateBodyFor);
  if (patch.listFailAfterPages !== undefined) f.listFailAfterPages = patch.listFailAfterPages ?? undefined;
  if (patch.deltaTokenExpired !== undefined) f.deltaTokenExpired = patch.deltaTokenExpired;
  if (patch.groupListFailAfterPages !== undefined)
    f.groupListFailAfterPages = patch.groupListFailAfterPages ?? undefined;
  if (patch.groupPermissionDenied !== undefined) f.groupPermissionDenied = patch.groupPermissionDenied;
  if (patch.tokenRejected !== undefined) f.tokenRejected = patch.tokenRejected;
}
