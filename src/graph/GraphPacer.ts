import { setTimeout as sleep } from 'node:timers/promises';

export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const systemClock: PacerClock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

/** The slowest pace: one full `$batch` a second, so a throttled process never stalls outright. */
const MIN_UNITS_PER_SECOND = 20;
/** After a throttle, the pace drops to this share of itself (the first time, of what Graph accepted)... */
const DECREASE = 0.9;
/** ...and rises by this share each second that Graph throttles nothing. */
const INCREASE = 0.05;
const SECOND_MS = 1000;

/**
 * Graph throttles the app, not one request, so this process's photo requests share one pacer.
 * After a throttle (429, 503 or 504 with `Retry-After`), no request goes before that time. From
 * then on requests are spaced to a rate (in Graph's units: one per `$batch` item) that starts a
 * little under what Graph accepted in the second before and creeps up while nothing is throttled:
 * a throttled run settles about the limit instead of bursting into it and sitting out a whole
 * `Retry-After` each time. Requests wait in line and go in the order they came.
 */
export class GraphPacer {
  private notBefore = 0;
  private unitsPerSecond: number | undefined;
  private nextSlot = 0;
  private pacedSince = 0;
  private holdUntilThrottleCounts = 0;
  private readonly acceptedAt: Array<{ at: number; units: number }> = [];
  private line: Promise<void> = Promise.resolve();

  constructor(private readonly clock: PacerClock = systemClock) {}

  /** Until when every request is held back (epoch ms): the latest `Retry-After`. */
  get heldUntil(): number {
    return this.notBefore;
  }

  /** The pace in units a second, or undefined while Graph has throttled nothing. */
  get rate(): number | undefined {
    return this.unitsPerSecond;
  }

  /** Waits for this request's turn; `units` is what Graph counts it as. */
  turn(units: number): Promise<void> {
    const turn = this.line.then(async () => {
      // Read at this request's turn: a throttle answered meanwhile moves the time on.
      const now = this.clock.now();
      let at = Math.max(now, this.notBefore);
      if (this.unitsPerSecond !== undefined) {
        this.creepUp(at);
        at = Math.max(at, this.nextSlot);
        this.nextSlot = at + (units / this.unitsPerSecond) * SECOND_MS;
      }
      if (at > now) await this.clock.sleep(at - now);
    });
    this.line = turn;
    return turn;
  }

  /** Graph answered `units` of requests without throttling them. */
  accepted(units: number): void {
    const now = this.clock.now();
    this.acceptedAt.push({ at: now, units });
    while (this.acceptedAt.length > 0 && this.acceptedAt[0].at <= now - SECOND_MS) this.acceptedAt.shift();
  }

  /** Graph throttled a request: hold every request until `waitMs` from now, then go at a slower pace. */
  throttled(waitMs: number): void {
    const now = this.clock.now();
    this.notBefore = Math.max(this.notBefore, now + waitMs);
    // The items of one $batch, and the requests in flight with them, are one throttle, not many.
    if (now < this.holdUntilThrottleCounts) return;
    this.holdUntilThrottleCounts = this.notBefore;
    // The first throttle says what Graph takes: what it accepted in the second before.
    const basis =
      this.unitsPerSecond ??
      this.acceptedAt
        .filter((entry) => entry.at > now - SECOND_MS)
        .reduce((sum, entry) => sum + entry.units, 0);
    this.unitsPerSecond = Math.max(MIN_UNITS_PER_SECOND, basis * DECREASE);
    this.pacedSince = this.notBefore;
    this.nextSlot = this.notBefore;
  }

  private creepUp(now: number): void {
    if (this.unitsPerSecond === undefined || now < this.pacedSince + SECOND_MS) return;
    const seconds = Math.floor((now - this.pacedSince) / SECOND_MS);
    this.unitsPerSecond *= (1 + INCREASE) ** seconds;
    this.pacedSince += seconds * SECOND_MS;
  }
}
