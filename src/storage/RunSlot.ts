import type { TableClient } from '@azure/data-tables';
import { z } from 'zod';
import type { SlotHolder } from '../domain/RunSlotHolder';
import { getOrUndefined, isConflict, isNotFound, isPreconditionFailed } from './StorageErrors';

/** Beside the run index's own partition (`runs`), which every index query names. */
const SLOT_KEY = { partitionKey: 'slot', rowKey: 'run' } as const;

const SlotEntitySchema = z.object({ runId: z.string(), takenAt: z.iso.datetime(), etag: z.string() });

export type SlotTake = { kind: 'taken' } | { kind: 'held'; runId: string };

/**
 * The one run slot (docs/design.md, "One run at a time"): a single entity naming the run that holds
 * it. Taking it is one conditional write — a create that fails if the entity exists, or a replace
 * under the ETag of the holder that was found to have let go — so of two starts at the same moment,
 * on two hosts, exactly one wins, and the other is told which run holds the slot.
 */
export class RunSlot {
  constructor(private readonly table: TableClient) {}

  /**
   * Takes the slot for `runId`, or says who holds it. `letsGo` decides whether the holder found has
   * let go (its run finished, or was closed); it is asked again if the slot changed hands meanwhile.
   */
  async take(
    runId: string,
    takenAt: Date,
    letsGo: (holder: SlotHolder) => Promise<boolean>,
  ): Promise<SlotTake> {
    const entity = { ...SLOT_KEY, runId, takenAt: takenAt.toISOString() };
    // Each turn ends when another start changed the slot first; one of them wins each time.
    for (let attempt = 1; attempt <= 20; attempt++) {
      try {
        await this.table.createEntity(entity);
        return { kind: 'taken' };
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      const found = await getOrUndefined(() => this.table.getEntity(SLOT_KEY.partitionKey, SLOT_KEY.rowKey));
      if (found === undefined) continue;
      const holder = SlotEntitySchema.safeParse(found);
      // A slot row this code did not write holds nothing: it is taken over.
      if (
        holder.success &&
        !(await letsGo({ runId: holder.data.runId, takenAt: new Date(holder.data.takenAt) }))
      )
        return { kind: 'held', runId: holder.data.runId };
      try {
        await this.table.updateEntity(entity, 'Replace', { etag: found.etag });
        return { kind: 'taken' };
      } catch (error) {
        if (!isPreconditionFailed(error) && !isNotFound(error)) throw error;
      }
    }
    throw new Error('The run slot changed hands 20 times during one start; try again.');
  }

  /** Frees the slot if `runId` still holds it; a slot another run took since is left alone. */
  async release(runId: string): Promise<void> {
    const found = await getOrUndefined(() => this.table.getEntity(SLOT_KEY.partitionKey, SLOT_KEY.rowKey));
    if (found === undefined || found.runId !== runId) return;
    try {
      await this.table.deleteEntity(SLOT_KEY.partitionKey, SLOT_KEY.rowKey, { etag: found.etag });
    } catch (error) {
      if (!isPreconditionFailed(error) && !isNotFound(error)) throw error;
    }
  }
}
