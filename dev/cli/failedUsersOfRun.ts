import type { IdentityStore } from '../../src/storage/IdentityStore';

/** The users one error code failed in a run: how many, its message, and a few of them by name. */
export interface FailureGroup {
  code: string;
  users: number;
  message: string;
  examples: string[];
}

/** One user whose photo the run failed. */
export interface FailedUser {
  code: string;
  message: string;
  name: string;
}

const EXAMPLES_PER_CODE = 3;
const PAGE_SIZE = 500;

/** A run's failed users grouped by error code, most frequent first. */
export async function failedUsersOfRun(failed: AsyncIterable<FailedUser>): Promise<FailureGroup[]> {
  const groups = new Map<string, FailureGroup>();
  for await (const user of failed) {
    const group = groups.get(user.code) ?? { code: user.code, users: 0, message: user.message, examples: [] };
    group.users += 1;
    if (group.examples.length < EXAMPLES_PER_CODE) group.examples.push(user.name);
    groups.set(user.code, group);
  }
  return [...groups.values()].sort((a, b) => b.users - a.users || a.code.localeCompare(b.code));
}

/**
 * The same records `GET /api/users?result=failed` lists, read from the store and narrowed to those
 * this run checked last.
 */
export async function* storedFailures(identities: IdentityStore, runId: string): AsyncIterable<FailedUser> {
  let next: string | undefined;
  do {
    const page = await identities.list({ top: PAGE_SIZE, results: ['failed'], next });
    for (const user of page.users)
      if (user.lastRunId === runId)
        yield {
          code: user.lastErrorCode || 'unknown',
          message: user.lastErrorMessage ?? '',
          name: user.userPrincipalName || user.rowKey,
        };
    next = page.next ?? undefined;
  } while (next !== undefined);
}
