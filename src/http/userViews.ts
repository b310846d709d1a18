import type { PhotoOutcome } from '../domain/PhotoOutcome';
import { quietOutcome } from '../domain/QuietCheck';
import type { UserEntity } from '../storage/IdentityStore';
import type { JobCoverage, LastCheck } from '../storage/JobCoverage';
import { userView } from './userView';

/**
 * Users as the API shows them. A check that found a user's photo as stored wrote nothing to their
 * record: when it was made is on the marker of the job that made it (`JobCoverage`), and its
 * outcome is the photo as stored (`quietOutcome`). With `result`, only the users whose last check
 * had that outcome: the store's filter (`storedOutcomesFor`) finds every candidate, this decides.
 */
export async function userViews(
  entities: readonly UserEntity[],
  coverage: Pick<JobCoverage, 'lastChecks'>,
  result?: PhotoOutcome,
): Promise<Array<Record<string, unknown>>> {
  const checks = await coverage.lastChecks(entities.map((entity) => entity.rowKey));
  return entities
    .map((entity) => withLastCheck(entity, checks.get(entity.rowKey)))
    .filter((entity) => result === undefined || entity.lastResult === result)
    .map(userView);
}

function withLastCheck(entity: UserEntity, check: LastCheck | undefined): UserEntity {
  if (check === undefined || check.checkedAt <= (entity.lastCheckedAt ?? '')) return entity;
  // A later run's check that wrote nothing: a first check, or a failure, is always written.
  const quiet =
    check.runId !== entity.lastRunId && entity.lastResult !== undefined && entity.lastResult !== 'failed';
  return {
    ...entity,
    lastCheckedAt: check.checkedAt,
    ...(quiet ? { lastResult: quietOutcome(Boolean(entity.photoSha256)) } : {}),
  };
}
