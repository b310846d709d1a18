import type { TableClient, TransactionAction } from '@azure/data-tables';
import { isRunFinished, type Run } from '../domain/Run';
import { parseRunEntity, RUN_ROW, toRun, type RunEntity } from './RunRows';
import { isPreconditionFailed } from './StorageErrors';

/**
 * Changes a run entity under its ETag. Each run's entity is kept as this process last wrote it
 * (an ETag cache): the next change needs no read unless another writer came between.
 */
export class RunEntityWriter {
  private readonly lastWritten = new Map<string, RunEntity>();

  constructor(private readonly runs: TableClient) {}

  /**
   * Change and write the run entity, with `extra` rows in the same transaction. It is read unless
   * this process wrote it last; another writer in between (412) makes it read and try again.
   * Returns the run when this change finished it.
   */
  async change(
    runId: string,
    update: (entity: RunEntity) => Partial<RunEntity>,
    extra: TransactionAction[] = [],
  ): Promise<Run | undefined> {
    for (let attempt = 1; ; attempt++) {
      const entity = this.lastWritten.get(runId) ?? parseRunEntity(await this.runs.getEntity(runId, RUN_ROW));
      const wasFinished = isRunFinished(entity);
      const next: RunEntity = { ...entity, ...update(entity) };
      const finishesNow = !wasFinished && isRunFinished(next);
      if (finishesNow) next.finishedAt = new Date().toISOString();
      const { etag, ...fields } = next;
      try {
        const response = await this.runs.submitTransaction([...extra, ['update', fields, 'Merge', { etag }]]);
        // Answers come in the order of the operations; the run entity's is the last.
        this.remember(runId, { ...next, etag: response.subResponses[extra.length]?.etag });
        return finishesNow ? toRun(next) : undefined;
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
