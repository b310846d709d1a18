import { MAX_USERS_PER_JOB } from '../domain/PhotoJob';
import { partitionOf } from '../storage/IdentityStore';

/**
 * Groups the user ids of a run into photo jobs of 20 users of the same identity partition, so a
 * worker writes a job's records in one transaction. What is left at the end is packed in order,
 * so a run needs about one job per 20 users however its pages fall.
 */
export class JobBuffer {
  private readonly pending = new Map<string, string[]>();

  add(userIds: readonly string[]): string[][] {
    const full: string[][] = [];
    for (const userId of userIds) {
      const key = partitionOf(userId);
      const ids = this.pending.get(key) ?? [];
      ids.push(userId);
      if (ids.length === MAX_USERS_PER_JOB) {
        full.push(ids);
        this.pending.delete(key);
      } else {
        this.pending.set(key, ids);
      }
    }
    return full;
  }

  flush(): string[][] {
    const rest = [...this.pending.keys()].sort().flatMap((key) => this.pending.get(key) ?? []);
    this.pending.clear();
    const jobs: string[][] = [];
    for (let start = 0; start < rest.length; start += MAX_USERS_PER_JOB) jobs.push(rest.slice(start, start + MAX_USERS_PER_JOB));
    return jobs;
  }
}
