import type { GraphAnswer } from './GraphAnswer';

/** Timers may fire a millisecond early; a client that waited out Retry-After is not "early". */
const EARLY_GRACE_MS = 10;

/**
 * When each resource (`GET /users/<id>/photo[/$value]`) may be asked for again after a
 * `Retry-After`, to count clients that do not wait it out.
 */
export class RetryAfterDeadlines {
  private readonly deadlines = new Map<string, number>();

  /** True when a request for the resource arrived before its deadline. */
  isEarly(resourceKey: string, arrivedAt: number): boolean {
    const deadline = this.deadlines.get(resourceKey);
    if (deadline === undefined) return false;
    if (arrivedAt < deadline - EARLY_GRACE_MS) return true;
    this.deadlines.delete(resourceKey);
    return false;
  }

  /** Retry-After counts from when the client receives the answer, so the deadline starts at sending. */
  commit(answer: GraphAnswer): void {
    if (answer.retryAfter !== undefined && answer.resourceKey)
      this.deadlines.set(answer.resourceKey, Date.now() + answer.retryAfter * 1000);
  }

  clear(): void {
    this.deadlines.clear();
  }
}
