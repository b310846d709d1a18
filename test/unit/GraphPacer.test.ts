import { GraphPacer, type PacerClock } from '../../src/graph/GraphPacer';

/**
 * The pacer against a model of Graph's throttle (a token bucket, as the simulator keeps), in
 * virtual time: what is counted is how often Graph has to throttle, whether anything goes before
 * `Retry-After`, and what pace the pacer settles at — not how long a test takes.
 */

class VirtualClock implements PacerClock {
  private time = 0;
  private readonly timers: Array<{ at: number; resolve: () => void }> = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.time + Math.max(0, ms), resolve }));
  }

  /** Runs the timers in order until `done` settles. */
  async run(done: Promise<unknown>): Promise<void> {
    let finished = false;
    void done.then(() => (finished = true));
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (finished) return;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (next === undefined) throw new Error('stuck: nothing scheduled and not finished');
      this.time = Math.max(this.time, next.at);
      next.resolve();
    }
  }
}

/** Graph's limit as the simulator models it: `rate` units a second, a second's worth of burst. */
class ThrottledGraph {
  private tokens: number;
  private at = 0;
  /** Units Graph had to turn away. */
  rejected = 0;

  constructor(
    private readonly rate: number,
    private readonly clock: VirtualClock,
  ) {
    this.tokens = rate;
  }

  /** Units accepted now; the rest are throttled with the `Retry-After` (seconds) they get. */
  take(units: number): { accepted: number; retryAfterSeconds?: number } {
    const now = this.clock.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    const accepted = Math.min(units, Math.floor(this.tokens));
    this.tokens -= accepted;
    if (accepted === units) return { accepted };
    this.rejected += units - accepted;
    return { accepted, retryAfterSeconds: Math.max(1, Math.ceil((1 - this.tokens) / this.rate)) };
  }
}

/** `workers` jobs at a time, each a `$batch` of 20 items, retrying throttled items after `Retry-After`. */
async function syncThrough(
  pacer: GraphPacer,
  graph: ThrottledGraph,
  clock: VirtualClock,
  batches: number,
  workers = 16,
  latencyMs = 50,
): Promise<{ early: number }> {
  let next = 0;
  let early = 0;
  const worker = async (): Promise<void> => {
    while (next < batches) {
      next++;
      let pending = 20;
      let retryNotBefore = 0;
      while (pending > 0) {
        await pacer.turn(pending);
        if (clock.now() < retryNotBefore) early += pending;
        const answer = graph.take(pending);
        await clock.sleep(latencyMs);
        pacer.accepted(answer.accepted);
        pending -= answer.accepted;
        if (answer.retryAfterSeconds !== undefined) {
          retryNotBefore = clock.now() + answer.retryAfterSeconds * 1000;
          pacer.throttled(answer.retryAfterSeconds * 1000);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return { early };
}

test('nothing throttled: requests are not paced and go at once', async () => {
  const clock = new VirtualClock();
  const pacer = new GraphPacer(clock);
  const graph = new ThrottledGraph(1_000_000, clock);

  const done = syncThrough(pacer, graph, clock, 160);
  await clock.run(done);

  expect(pacer.rate).toBeUndefined();
  // 160 batches, 16 at a time, 50 ms each: ten rounds, no waiting beyond the latency.
  expect(clock.now()).toBe(10 * 50);
});

test('throttled: nothing goes before Retry-After, and the pace settles about the limit', async () => {
  const clock = new VirtualClock();
  const pacer = new GraphPacer(clock);
  const rate = 300;
  const graph = new ThrottledGraph(rate, clock);
  const batches = 1500; // 30,000 units: 100 seconds' worth at the limit.

  const done = syncThrough(pacer, graph, clock, batches);
  await clock.run(done);

  // The retried items wait only in the pacer's line: it must hold them until their Retry-After.
  expect((await done).early).toBe(0);
  // Bursting into the limit would be throttled about once a second; pacing, a handful of times.
  // Bursting into the limit, much of every burst is turned away; paced, a few in a hundred.
  expect(graph.rejected).toBeLessThan(0.05 * batches * 20);
  // The pace swings about the limit: a second's burst is what lets it go over for a while.
  expect(pacer.rate).toBeGreaterThan(0.8 * rate);
  expect(pacer.rate).toBeLessThan(1.5 * rate);
  // Virtual time, not a timing: the work took little more than the limit allows.
  const allowedMs = ((batches * 20 - rate) / rate) * 1000;
  expect(clock.now()).toBeLessThan(1.2 * allowedMs);
});

test('a throttle never slows the pace below one $batch a second', () => {
  const clock = new VirtualClock();
  const pacer = new GraphPacer(clock);
  for (let i = 0; i < 100; i++) {
    pacer.throttled(1000);
    (clock as unknown as { time: number }).time += 1001;
  }
  expect(pacer.rate).toBe(20);
});
