import type { IdentityStore } from '../../src/storage/IdentityStore';

/** The users one error code failed in a run: how many, its message, and a few of them by name. */
export interface FailureGroup {
  code: string;
  users: number;
  message: string;
  examples: string[];
}

const EXAMPLES_PER_CODE = 3;
const PAGE_SIZE = 500;

/**
 * The run's failed users grouped by error code, most frequent first: the same records
 * `GET /api/users?result=failed` lists, narrowed to those this run checked last.
 */
export async function failedUsersOfRun(identities: IdentityStore, runId: string): Promise<FailureGroup[]> {
  const groups = new Map<string, FailureGroup>();
  let next: string | undefined;
  do {
    const page = await identities.list({ top: PAGE_SIZE, results: ['failed'], next });
    for (const user of page.users) {
      if (user.lastRunId !== runId) continue;
      const code = user.lastErrorCode || 'unknown';
      const group = groups.get(code) ?? {
        code,
        users: 0,
        message: user.lastErrorMessage ?? '',
        examples: [],
      };
      group.users += 1;
      if (group.examples.length < EXAMPLES_PER_CODE)
        group.examples.push(user.userPrincipalName || user.rowKey);
      groups.set(code, group);
    }
    next = page.next ?? undefined;
  } while (next !== undefined);
  return [...groups.values()].sort((a, b) => b.users - a.users || a.code.localeCompare(b.code));
}
