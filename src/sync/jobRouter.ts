import type { RemovalReason } from '../domain/RemovalReason';
import type { PhotoJobUser } from '../storage/IdentityStore';
import type { InScope } from './scopeFilter';
import type { ScopeState } from './refreshScope';

/** What the planner does with one stored user: check the photo, remove it (and why), or neither. */
export type JobRoute =
  | { kind: 'check' }
  | { kind: 'remove'; reason: Extract<RemovalReason, 'outOfScope' | 'departed'> }
  | { kind: 'skip' };

/**
 * The decision for each user of the photo-job pass (docs/design.md), in the pass's key order. A photo
 * is removed for scope or departure only on complete knowledge: the scope groups listed whole and,
 * the user listing whole too (a departure a delta round recorded before it broke off waits for the next run).
 */
export function jobRouter(
  scope: ScopeState,
  inScope: InScope | undefined,
  usersListedWhole: boolean,
): (user: PhotoJobUser) => Promise<JobRoute> {
  return async (user) => {
    if (!scope.known) return { kind: 'skip' };
    if (user.departed)
      return user.hasPhoto && usersListedWhole ? { kind: 'remove', reason: 'departed' } : { kind: 'skip' };
    if (inScope === undefined || (await inScope(user.userId))) return { kind: 'check' };
    return user.hasPhoto && usersListedWhole ? { kind: 'remove', reason: 'outOfScope' } : { kind: 'skip' };
  };
}
