import type { Run } from './Run';
import type { RunError } from './RunError';

/**
 * A run in progress with no progress for this long is taken for dead. Longer than the 10 minutes a
 * queue message stays leased to a host that took it (the Functions host renews the lease while the
 * function runs; a host that died lets it run out): a job merely waiting to be delivered again
 * after its host died shows progress before this, so only a run whose work is gone is closed.
 */
export const STUCK_AFTER_MS = 12 * 60 * 1000;

/** Whether a run is still doing its work (docs/design.md, "How runs recover"). */
export type StuckRun =
  | { kind: 'finished' }
  | { kind: 'progressing'; idleMs: number }
  | { kind: 'stuck'; idleMs: number; error: RunError };

export function judgeStuckRun(run: Pick<Run, 'status' | 'lastProgressAt' | 'jobs'>, now: Date): StuckRun {
  if (run.status !== 'running') return { kind: 'finished' };
  const idleMs = now.getTime() - Date.parse(run.lastProgressAt);
  if (!(idleMs > STUCK_AFTER_MS)) return { kind: 'progressing', idleMs };
  const since = `No progress since ${run.lastProgressAt}`;
  const { total, done } = run.jobs;
  return {
    kind: 'stuck',
    idleMs,
    error: {
      code: 'interrupted',
      message:
        total === null
          ? `${since}: planning stopped (its host stopped, or its run request was lost). The users listed so far were kept, and the photo jobs it enqueued counted. The next run checks everyone.`
          : `${since}: ${total - done} of ${total} photo jobs never finished (their host stopped, or their messages were lost). The outcomes of the ${done} done are kept; the next run checks the others.`,
    },
  };
}
