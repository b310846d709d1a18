import type { UserEntity } from '../storage/IdentityStore';
import type { JobCoverage } from '../storage/JobCoverage';
import { userView } from './userView';

/**
 * Users as the API shows them. A check that found a user's photo as stored wrote nothing to their
 * record: when it was made is on the marker of the job that made it (`JobCoverage`).
 */
export async function userViews(
  entities: readonly UserEntity[],
  coverage: Pick<JobCoverage, 'lastChecks'>,
): Promise<Array<Record<string, unknown>>> {
  const checks = await coverage.lastChecks(entities.map((entity) => entity.rowKey));
  return entities.map((entity) => {
    const checked = checks.get(entity.rowKey);
    return userView(
      checked !== undefined && checked > (entity.lastCheckedAt ?? '')
        ? { ...entity, lastCheckedAt: checked }
        : entity,
    );
  });
}
