import { GraphError } from '@microsoft/microsoft-graph-client';
import { BucketDigests, bucketOf } from '../domain/ScopeDigest';
import type { RunWarning } from '../domain/RunWarning';
import type { SyncSettings } from '../domain/SyncSettings';
import { classifyThrown } from '../graph/GraphFailure';
import type { ScopeKind, ScopeStore } from '../storage/ScopeStore';
import { mapWithConcurrency } from './mapWithConcurrency';
import type { SyncLog } from './SyncLog';

/** Which scope groups this run applies; `known: false` when one of them is not known completely. */
export type ScopeState =
  { known: true; include: boolean; exclude: boolean } | { known: false; warning: RunWarning };

export interface ScopeRefreshDeps {
  listMemberPages: (groupId: string) => AsyncIterable<string[]>;
  scope: Pick<ScopeStore, 'digests' | 'saveDigests' | 'bucketMembers' | 'changeMembers'>;
  log: SyncLog;
  /** Most member ids held in memory at once while stored buckets are brought up to date. */
  memberBudget?: number;
}

export const GROUP_PERMISSION_REMEDIATION =
  'Reading a scope group needs the Microsoft Graph application permission GroupMember.Read.All (or Group.Read.All) with admin consent; with a managed identity, assign that app role to the identity (docs/deploy.md).';

const DEFAULT_MEMBER_BUDGET = 20_000;
const BUCKET_READS_IN_FLIGHT = 16;

class ScopeListingError extends Error {
  constructor(readonly warning: RunWarning) {
    super(warning.message);
  }
}

/**
 * Brings the stored members of the scope groups up to date with Graph (docs/design.md). A listing is
 * first reduced to a digest per bucket of ids and compared with the stored one; only buckets that
 * differ are rewritten, from a second listing that keeps just their members (several listings
 * when they hold more than `memberBudget`). A steady group costs one listing and no write, and no
 * member set is ever held whole. A group Graph does not know, or a listing that breaks off, makes
 * the scope unknown for this run: the caller then syncs no photo and removes none.
 */
export async function refreshScope(
  runId: string,
  groups: Pick<SyncSettings, 'photoGroupId' | 'photoExcludeGroupId'>,
  deps: ScopeRefreshDeps,
): Promise<ScopeState> {
  const wanted: Array<[ScopeKind, string]> = [];
  if (groups.photoGroupId !== null) wanted.push(['include', groups.photoGroupId]);
  if (groups.photoExcludeGroupId !== null) wanted.push(['exclude', groups.photoExcludeGroupId]);
  try {
    for (const [kind, groupId] of wanted) await refreshGroup(runId, kind, groupId, deps);
  } catch (error) {
    if (!(error instanceof ScopeListingError)) throw error;
    deps.log.write('warn', error.warning.code, { runId, reason: error.warning.message });
    return { known: false, warning: error.warning };
  }
  return { known: true, include: groups.photoGroupId !== null, exclude: groups.photoExcludeGroupId !== null };
}

async function refreshGroup(
  runId: string,
  kind: ScopeKind,
  groupId: string,
  deps: ScopeRefreshDeps,
): Promise<void> {
  const budget = deps.memberBudget ?? DEFAULT_MEMBER_BUDGET;
  const listed = BucketDigests.empty();
  let members = 0;
  await eachMember(kind, groupId, deps, (userId) => {
    listed.add(userId);
    members++;
  });
  const stored = (await deps.scope.digests(kind))?.digests ?? BucketDigests.empty();
  const changed = listed.differingBuckets(stored);
  const totals = { added: 0, deleted: 0, listings: 1 };
  for (let start = 0; start < changed.length;) {
    let end = start + 1;
    let held = listed.count(changed[start]);
    while (end < changed.length && held + listed.count(changed[end]) <= budget)
      held += listed.count(changed[end++]);
    const buckets = changed.slice(start, end);
    // Marked first: a crash while rewriting them leaves them differing from any listing.
    for (const bucket of buckets) stored.markDirty(bucket);
    await deps.scope.saveDigests(kind, groupId, stored);
    const kept = new Map<number, string[]>(buckets.map((bucket) => [bucket, []]));
    await eachMember(kind, groupId, deps, (userId) => kept.get(bucketOf(userId))?.push(userId));
    totals.listings++;
    await mapWithConcurrency(buckets, BUCKET_READS_IN_FLIGHT, async (bucket) => {
      const want = new Set(kept.get(bucket));
      const have = new Set(await deps.scope.bucketMembers(kind, bucket));
      const added = [...want].filter((userId) => !have.has(userId));
      const deleted = [...have].filter((userId) => !want.has(userId));
      await deps.scope.changeMembers(kind, added, deleted);
      stored.setBucket(bucket, want);
      totals.added += added.length;
      totals.deleted += deleted.length;
    });
    await deps.scope.saveDigests(kind, groupId, stored);
    start = end;
  }
  deps.log.write('info', 'scopeListed', {
    runId,
    scope: kind,
    groupId,
    members,
    changedBuckets: changed.length,
    ...totals,
  });
}

async function eachMember(
  kind: ScopeKind,
  groupId: string,
  deps: ScopeRefreshDeps,
  visit: (userId: string) => void,
): Promise<void> {
  try {
    for await (const page of deps.listMemberPages(groupId)) for (const userId of page) visit(userId);
  } catch (error) {
    throw new ScopeListingError(listingWarning(kind, groupId, error));
  }
}

function listingWarning(kind: ScopeKind, groupId: string, error: unknown): RunWarning {
  const setting = kind === 'include' ? 'photoGroupId' : 'photoExcludeGroupId';
  if (error instanceof GraphError && error.statusCode === 404)
    return {
      code: 'scopeGroupNotFound',
      message: `Microsoft Graph knows no group ${groupId} (${setting}); no photo was synced or removed this run. Check the group's object id in the settings.`,
    };
  const cause =
    error instanceof GraphError && error.statusCode === 403
      ? `Graph denied access (${error.code ?? 403}). ${GROUP_PERMISSION_REMEDIATION}`
      : classifyThrown(error).message;
  return {
    code: 'scopeListingFailed',
    message: `Listing the members of group ${groupId} (${setting}) broke off: ${cause} No photo was synced or removed this run.`,
  };
}
