import type { PhotoEventStore } from '../storage/PhotoEventStore';
import type { RunStore } from '../storage/RunStore';
import type { SettingsStore } from '../storage/SettingsStore';
import type { SyncLog } from './SyncLog';

export interface HistoryRetentionDeps {
  events: Pick<PhotoEventStore, 'pruneOlderThan'>;
  settings: Pick<SettingsStore, 'pruneHistoryOlderThan'>;
  runs: Pick<RunStore, 'pruneRunsStartedBefore'>;
  /** PHOTO_HISTORY_DAYS */
  historyDays: number;
  log: SyncLog;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Work one planning does at most: a tenant's history older than the retention shrinks by this
 * much per run (six runs a day by default), so no run is slowed by a long backlog.
 */
export const RETENTION_BOUNDS = { events: 2000, settingsChanges: 200, runs: 10 };

/**
 * Deletes photo log events, settings history and runs (with their job markers) older than
 * PHOTO_HISTORY_DAYS, in bounded work. Bookkeeping: a failure is a warning, never the run's.
 */
export async function pruneHistory(runId: string, now: Date, deps: HistoryRetentionDeps): Promise<void> {
  const before = new Date(now.getTime() - deps.historyDays * DAY_MS);
  try {
    const events = await deps.events.pruneOlderThan(before, RETENTION_BOUNDS.events);
    const settingsChanges = await deps.settings.pruneHistoryOlderThan(
      before,
      RETENTION_BOUNDS.settingsChanges,
    );
    const runs = await deps.runs.pruneRunsStartedBefore(before, RETENTION_BOUNDS.runs);
    if (events + settingsChanges + runs.runs > 0)
      deps.log.write('info', 'historyPruned', {
        runId,
        before: before.toISOString(),
        events,
        settingsChanges,
        runs: runs.runs,
        jobMarkers: runs.markers,
      });
  } catch (error) {
    deps.log.write('warn', 'historyPruneFailed', {
      runId,
      reason: error instanceof Error ? error.message : String(error),
    });
  }
}
