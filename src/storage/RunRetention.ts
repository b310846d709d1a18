import type { TableClient } from '@azure/data-tables';
import { deleteJobMarkers } from './JobMarkerPruner';
import type { RunIndex } from './RunIndex';
import { RUN_ROW } from './RunRows';
import { isNotFound } from './StorageErrors';

/**
 * Deletes runs that started before the retention cut-off (PHOTO_HISTORY_DAYS): job markers, the
 * run, then its index row, so that a crash midway leaves an index row the next call finishes (a
 * run the index names but the table lacks is not listed).
 */
export class RunRetention {
  constructor(
    private readonly runs: TableClient,
    private readonly index: RunIndex,
  ) {}

  async prune(startedBefore: Date, maxRuns: number): Promise<{ runs: number; markers: number }> {
    const pruned = { runs: 0, markers: 0 };
    for await (const row of this.index.startedBefore(startedBefore)) {
      if (pruned.runs >= maxRuns) break;
      pruned.markers += await deleteJobMarkers(this.runs, row.runId);
      await this.runs.deleteEntity(row.runId, RUN_ROW).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
      await this.index.remove(row);
      pruned.runs++;
    }
    return pruned;
  }
}
