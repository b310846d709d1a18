import type { Run } from './Run';
import type { RunError } from './RunError';
import { judgeStuckRun } from './StuckRun';

/**
 * How long a slot may name a run that does not exist yet: the start that took it is still creating
 * the run (milliseconds), or died in between, after which the slot is free.
 */
export const SLOT_START_GRACE_MS = 60 * 1000;

/** The run that holds the run slot, as its taker found it. */
export interface SlotHolder {
  runId: string;
  takenAt: Date;
}

/** Whether the run slot's holder still keeps it (docs/design.md, "One run at a time"). */
export type SlotVerdict =
  | { kind: 'free' }
  | { kind: 'held'; runId: string }
  /** Held by a run that stopped making progress: close it (`interrupted`), then the slot is free. */
  | { kind: 'stuck'; runId: string; error: RunError };

/**
 * A slot is held while its run is running and making progress, or while the start that took it may
 * still be creating the run. A finished run's slot is free, so a release that was lost (a crash
 * right after the run finished) costs nothing.
 */
export function judgeSlotHolder(holder: SlotHolder, run: Run | undefined, now: Date): SlotVerdict {
  if (run === undefined)
    return now.getTime() - holder.takenAt.getTime() > SLOT_START_GRACE_MS
      ? { kind: 'free' }
      : { kind: 'held', runId: holder.runId };
  const stuck = judgeStuckRun(run, now);
  if (stuck.kind === 'finished') return { kind: 'free' };
  if (stuck.kind === 'stuck') return { kind: 'stuck', runId: run.runId, error: stuck.error };
  return { kind: 'held', runId: run.runId };
}
