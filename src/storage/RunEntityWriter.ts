import type { TableClient, TransactionAction } from '@azure/data-tables';
import { isRunFinished, type Run } from '../domain/Run';
import { parseRunEntity, RUN_ROW, toRun, type RunEntity } from './RunRows';
import { isPreconditionFailed } from './StorageErrors';

/** What a change did to a run. */
export type RunChange =
  /** Written: the run as it is now, and whether this change finished it. */
  | { kind: 'written'; run: Run; finishedNow: boolean }
  /** The update asked for nothing: nothing was written. */
  | { kind: 'unchanged'; run: Run }
  /**
   * The run had finished before (completed, or failed), or was closed as interrupted and the
   * change is not one it still takes: nothing was written, its `extra` rows neither.
   */
  | { kind: 'alreadyFinished'; run: Run };

/**
 * Changes a run entity under its ETag. Each run's entity is kept as this process last wrote it
 * (an ETag cache): the next change needs no read unless another writer came between.
 */
export class RunEntityWriter {
  private readonly lastWritten = new Map<string, RunEntity>();

  constructor(private readonly runs: TableClient) {}

  /**
   * Change and write the run entity, with `extra` rows in the same transaction; `update` returns
   * `undefined` to change nothing. It is read unless this process wrote it last; another writer in
   * between (412) makes it read and decide again. Every write stamps the run's `lastProgressAt`
   * (unless `update` sets it): the writes a run makes anyway are its heartbeat. A finished run
   * takes no change, but a run closed as interrupted still takes those `intoInterrupted` allows (a
   * late job's counts): it stays closed, with its first `finishedAt`.
   */
  async change(
    runId: string,
    update: (entity: RunEntity) => Partial<RunEntity> | undefined,
    extra: TransactionAction[] = [],
    options: { intoInterrupted?: boolean } = {},
  ): Promise<RunChange> {
    for (let attempt = 1; ; attempt++) {
      const entity = this.lastWritten.get(runId) ?? parseRunEntity(await this.runs.getEntity(runId, RUN_ROW));
      const wasFinished = isRunFinished(entity);
      if (wasFinished && !(entity.interrupted && options.intoInterrupted === true))
        return { kind: 'alreadyFinished', run: toRun(entity) };
      const changes = update(entity);
      if (changes === undefined) return { kind: 'unchanged', run: toRun(entity) };
      const writtenAt = new Date().toISOString();
      const next: RunEntity = { ...entity, lastProgressAt: writtenAt, ...changes };
      const finishesNow = !wasFinished && isRunFinished(next);
      if (finishesNow) next.finishedAt = writtenAt;
      const { etag, ...fields } = next;
      try {
        const response = await this.runs.submitTransaction([...extra, ['update', fields, 'Merge', { etag }]]);
        // Answers come in the order of the operations; the run entity's is the last.
        this.remember(runId, { ...next, etag: response.subResponses[extra.length]?.etag });
        return { kind: 'written', run: toRun(next), finishedNow: finishesNow };
      } catch (error) {
        this.lastWritten.delete(runId);
        if (!isPreconditionFailed(error) || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * Math.min(attempt, 10)));
      }
    }
  }

  /** A finished run takes no more changes, so it is not kept. */
  private remember(runId: string, entity: RunEntity): void {
    if (isRunFinished(entity) || entity.etag === undefined) this.lastWritten.delete(runId);
    else this.lastWritten.set(runId, entity);
  }
}
