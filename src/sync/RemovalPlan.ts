import { chunks } from '../domain/chunks';
import { MAX_USERS_PER_JOB } from '../domain/PhotoJob';
import type { RemovalReason } from '../domain/RemovalReason';
import type { RunWarning } from '../domain/RunWarning';

export interface RemovalTally {
  /** Users whose removal jobs were enqueued, by reason. */
  sent: Record<'outOfScope' | 'departed', number>;
  /** Held back by the limit, by reason. */
  withheld: Record<'outOfScope' | 'departed', number>;
  warning?: RunWarning;
}

/**
 * Removal jobs under the removal limit (as Entra Connect's export deletion threshold): above
 * `limit` removals in one run, none of them. Without a limit the jobs go out as the pass finds
 * them; with one, up to `limit` ids wait until the pass is over, so memory is bounded by it.
 */
export class RemovalPlan {
  private readonly waiting = new Map<RemovalReason, string[]>();
  private readonly found = { outOfScope: 0, departed: 0 };
  private overLimit = false;

  constructor(
    private readonly limit: number | undefined,
    private readonly send: (reason: RemovalReason, userIds: string[]) => Promise<void>,
  ) {}

  async add(reason: 'outOfScope' | 'departed', userId: string): Promise<void> {
    this.found[reason]++;
    if (this.overLimit) return;
    const ids = this.waiting.get(reason) ?? [];
    ids.push(userId);
    this.waiting.set(reason, ids);
    if (this.limit !== undefined && this.total() > this.limit) {
      this.overLimit = true;
      this.waiting.clear();
    } else if (this.limit === undefined && ids.length === MAX_USERS_PER_JOB) {
      this.waiting.delete(reason);
      await this.send(reason, ids);
    }
  }

  async finish(): Promise<RemovalTally> {
    const none = { outOfScope: 0, departed: 0 };
    if (this.overLimit) {
      const count = this.total();
      return {
        sent: none,
        withheld: { ...this.found },
        warning: {
          code: 'removalLimitExceeded',
          message: `This run would remove ${count} photos for scope or departure (${this.found.outOfScope} out of scope, ${this.found.departed} departed), more than PHOTO_REMOVAL_LIMIT (${this.limit}): none was removed. If that is right, start a run with POST /api/sync {"allowRemovals": true}; if not, check the scope groups in the settings.`,
          count,
        },
      };
    }
    for (const [reason, ids] of this.waiting)
      for (const group of chunks(ids, MAX_USERS_PER_JOB)) await this.send(reason, group);
    this.waiting.clear();
    return { sent: { ...this.found }, withheld: none };
  }

  private total(): number {
    return this.found.outOfScope + this.found.departed;
  }
}
