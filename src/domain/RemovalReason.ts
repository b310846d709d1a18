/**
 * Why a run removes a stored photo without asking Graph for it (docs/design.md): the user is out of the
 * photo scope, left the directory, or every photo was purged on request. (A photo Graph answers
 * 404 for is `removed` by the ordinary check, with no reason of these.)
 */
export const REMOVAL_REASONS = ['outOfScope', 'departed', 'purged'] as const;

export type RemovalReason = (typeof REMOVAL_REASONS)[number];

/** Removals the removal limit counts: purge is asked for, and a Graph 404 is Graph's word. */
export function isLimited(reason: RemovalReason): boolean {
  return reason !== 'purged';
}
