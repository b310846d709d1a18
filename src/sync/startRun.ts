import { newRunId, type Run, type RunTrigger } from '../domain/Run';
import { judgeSlotHolder, type SlotHolder } from '../domain/RunSlotHolder';
import { isPhotoSyncActive } from '../domain/SyncSettings';
import type { RunStore } from '../storage/RunStore';
import type { SettingsStore } from '../storage/SettingsStore';
import { closeStuckRun } from './closeStuckRuns';
import type { SyncLog } from './SyncLog';

/** A start either opened a run, or found one in progress (which holds the run slot). */
export type RunStart = { kind: 'started'; run: Run } | { kind: 'busy'; runId: string };

export interface StartRunDeps {
  settings: Pick<SettingsStore, 'read'>;
  runs: Pick<RunStore, 'slot' | 'get' | 'create' | 'list' | 'closeIfStuck'>;
  log: SyncLog;
}

/**
 * Opens a run if no other is in progress (docs/design.md, "One run at a time"): the run slot is
 * taken first, atomically, and a run holding it that stopped making progress is closed first, so a
 * stuck run never blocks the next. Whether the run syncs photos is decided here, from the two
 * settings at this moment.
 */
export async function startRun(trigger: RunTrigger, deps: StartRunDeps, now = new Date()): Promise<RunStart> {
  const runId = newRunId(now);
  const slot = await deps.runs.slot.take(runId, now, (holder) => holderLetsGo(holder, deps, now));
  if (slot.kind === 'held') return { kind: 'busy', runId: slot.runId };
  try {
    const settings = await deps.settings.read();
    const run = await deps.runs.create(runId, trigger, isPhotoSyncActive(settings), now);
    deps.log.write('info', 'runStarted', {
      runId: run.runId,
      trigger,
      photoSyncActive: run.photoSyncActive,
      reason:
        trigger === 'purge'
          ? 'purge: every stored photo is deleted, nothing is asked of Graph'
          : run.photoSyncActive
            ? 'userPhotos and syncUserPhotos are on'
            : `photo sync off (userPhotos=${settings.userPhotos}, syncUserPhotos=${settings.syncUserPhotos}): core attributes only`,
    });
    return { kind: 'started', run };
  } catch (error) {
    // No run came of it: the slot goes back now rather than after its grace.
    await deps.runs.slot.release(runId).catch(() => undefined);
    throw error;
  }
}

async function holderLetsGo(holder: SlotHolder, deps: StartRunDeps, now: Date): Promise<boolean> {
  const verdict = judgeSlotHolder(holder, await deps.runs.get(holder.runId), now);
  if (verdict.kind === 'stuck') return (await closeStuckRun(verdict.runId, deps, now)) !== 'progressing';
  return verdict.kind === 'free';
}
