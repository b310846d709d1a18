import { odata, type TableClient } from '@azure/data-tables';
import { JOB_MARKER_ROWS, jobMarkerRow } from './RunRows';
import type { RunStore } from './RunStore';

/**
 * Photo runs looked back on for a user's last check. A user in scope is checked by every run, so
 * the newest one answers; older ones answer for a user the newest has not reached yet (a run under
 * way) or no longer checks (left the scope or the directory without a photo to remove).
 */
const RECENT_RUNS = 8;

type MarkerEntity = { rowKey: string; userIds?: string; checkedAt?: string };

/** A user's newest check by a recent photo run: when, and by which run. */
export interface LastCheck {
  checkedAt: string;
  runId: string;
}

/**
 * When the recent runs last checked each user. A check that changes nothing writes nothing to the
 * user's record: its time is on the marker of the job that made it, in the run's partition, keyed
 * by the job's id, which the planner makes the greatest user id of its 20 consecutive ones. So the
 * first marker at or after a user's id is the only one of that run that can hold them, and the
 * markers of a page of users in table order are one key-range query per run.
 */
export class JobCoverage {
  constructor(
    private readonly table: TableClient,
    private readonly runs: Pick<RunStore, 'list'>,
  ) {}

  /** User id → the newest check the recent photo runs made of them; absent: none did. */
  async lastChecks(userIds: readonly string[]): Promise<Map<string, LastCheck>> {
    const checks = new Map<string, LastCheck>();
    if (userIds.length === 0) return checks;
    const runs = (await this.runs.list(RECENT_RUNS)).filter((run) => run.photoSyncActive);
    const sorted = [...userIds].sort();
    // Newest run first: what it says about a user wins over what older runs say.
    for (const run of runs) {
      const open = sorted.filter((userId) => !checks.has(userId));
      if (open.length === 0) break;
      for (const [userId, checkedAt] of await this.checksOfRun(run.runId, open))
        if (!checks.has(userId)) checks.set(userId, { checkedAt, runId: run.runId });
    }
    return checks;
  }

  private async checksOfRun(runId: string, sorted: readonly string[]): Promise<Map<string, string>> {
    const wanted = new Set(sorted);
    const last = jobMarkerRow(sorted[sorted.length - 1]);
    const filter = odata`PartitionKey eq ${runId} and RowKey ge ${jobMarkerRow(sorted[0])} and RowKey lt ${JOB_MARKER_ROWS.before}`;
    const checks = new Map<string, string>();
    for await (const marker of this.table.listEntities<MarkerEntity>({
      queryOptions: { filter, select: ['RowKey', 'userIds', 'checkedAt'] },
    })) {
      if (marker.checkedAt !== undefined)
        for (const userId of (marker.userIds ?? '').split(','))
          if (wanted.has(userId)) checks.set(userId, marker.checkedAt);
      // The marker of the job that holds the greatest wanted id, if any job does: no later one can.
      if (marker.rowKey >= last) break;
    }
    return checks;
  }
}
