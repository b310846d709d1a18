import { createHash } from 'node:crypto';
import type { SimulatorFaults } from './SimulatorFaults';

const RANDOM_FAILURES: ReadonlyArray<{ status: number; code: string; retryAfter?: number }> = [
  { status: 429, code: 'TooManyRequests', retryAfter: 1 },
  { status: 500, code: 'InternalServerError' },
  { status: 502, code: 'BadGateway' },
  { status: 503, code: 'ServiceUnavailable', retryAfter: 1 },
  { status: 504, code: 'GatewayTimeout' },
];

/**
 * The `randomFailureRate` fault: failures drawn from uniform [0, 1) draws. The sequence restarts
 * when `randomFailureSeed` changes, when the faults are reset, and when the seed is posted to the
 * control API (`restart`), so a run can be replayed.
 */
export class RandomFailures {
  private state: { faults?: SimulatorFaults; seed: number; draws: number } = { seed: Number.NaN, draws: 0 };

  restart(): void {
    this.state.seed = Number.NaN;
  }

  /** The failure this request gets, if any. */
  next(faults: SimulatorFaults): (typeof RANDOM_FAILURES)[number] | undefined {
    if (faults.randomFailureRate <= 0 || this.draw(faults) >= faults.randomFailureRate) return undefined;
    return RANDOM_FAILURES[Math.floor(this.draw(faults) * RANDOM_FAILURES.length)];
  }

  private draw(faults: SimulatorFaults): number {
    if (this.state.faults !== faults || this.state.seed !== faults.randomFailureSeed) {
      this.state = { faults, seed: faults.randomFailureSeed, draws: 0 };
    }
    const digest = createHash('sha256').update(`${this.state.seed}:${this.state.draws++}`).digest();
    return digest.readUInt32BE(0) / 2 ** 32;
  }
}
