import { GraphPacer } from './GraphPacer';
import { retryAfterMs } from './GraphFailure';

/** Without `Retry-After`, wait 2, 4, 8… seconds: Graph's own advice for throttled requests. */
export function backoffMs(attempt: number): number {
  return 2 ** attempt * 1000;
}

/**
 * Graph throttles the app, not one request: one pacer for all of this process's photo requests,
 * metadata and downloads alike, and the `Retry-After` holds they share.
 */
export class PhotoThrottle {
  private readonly pacer = new GraphPacer();

  constructor(private readonly maxRetryWaitMs: number) {}

  /** Waits for this many requests' turn. */
  turn(requests: number): Promise<void> {
    return this.pacer.turn(requests);
  }

  /** This many requests went through without being throttled. */
  accepted(requests: number): void {
    this.pacer.accepted(requests);
  }

  /** A wait beyond `maxRetryWaitMs` is not held for: its own items fail as throttled, the rest go on. */
  holdBack(retryAfter: string | null): void {
    const wait = retryAfterMs(retryAfter);
    if (wait !== undefined && wait <= this.maxRetryWaitMs) this.pacer.throttled(wait);
  }

  /** What is left of `waitMs` once the process-wide hold (waited for in line) is over. */
  beyondHold(waitMs: number): number {
    return Math.max(0, Date.now() + waitMs - this.pacer.heldUntil);
  }
}
