import type { ScopeStore } from '../storage/ScopeStore';
import type { ScopeState } from './refreshScope';

/**
 * A stored member list read in key order alongside the identity table, which is read in the same
 * order: asking for ids in ascending order, each answer costs no more than reading on to it.
 */
class SortedMembers {
  private page: string[] = [];
  private index = 0;
  private done = false;

  constructor(private readonly pages: AsyncIterator<string[]>) {}

  async has(userId: string): Promise<boolean> {
    for (;;) {
      while (this.index < this.page.length && this.page[this.index] < userId) this.index++;
      if (this.index < this.page.length) return this.page[this.index] === userId;
      if (this.done) return false;
      const next = await this.pages.next();
      if (next.done === true) this.done = true;
      else [this.page, this.index] = [next.value, 0];
    }
  }
}

/** Whether a user's photo is synced: a member of the include group (if set) and not of the exclude group. */
export type InScope = (userId: string) => Promise<boolean>;

/** The scope of a run whose groups are known, for users asked in ascending id order. */
export function scopeFilter(
  state: ScopeState & { known: true },
  scope: Pick<ScopeStore, 'members'>,
): InScope {
  const include = state.include
    ? new SortedMembers(scope.members('include')[Symbol.asyncIterator]())
    : undefined;
  const exclude = state.exclude
    ? new SortedMembers(scope.members('exclude')[Symbol.asyncIterator]())
    : undefined;
  return async (userId) => {
    if (exclude !== undefined && (await exclude.has(userId))) return false;
    return include === undefined || (await include.has(userId));
  };
}
