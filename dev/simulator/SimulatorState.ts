import type { RandomFailures } from './RandomFailures';
import type { RetryAfterDeadlines } from './RetryAfterDeadlines';
import type { SimulatedTenant } from './SimulatedTenant';
import type { SimulatorCounters } from './SimulatorCounters';
import type { SimulatorFaults } from './SimulatorFaults';
import type { TokenBucket } from './TokenBucket';

/** What the simulator's endpoints read and change; each takes the part it needs. */
export interface SimulatorState {
  readonly tenant: SimulatedTenant;
  readonly baseUrl: string;
  readonly origin: string;
  /** `Retry-After` of throttle and `errorFor` 429/503 answers. */
  readonly retryAfterSeconds: number;
  counters: SimulatorCounters;
  faults: SimulatorFaults;
  readonly deadlines: RetryAfterDeadlines;
  readonly bucket: TokenBucket;
  readonly randomFailures: RandomFailures;
  /** Ends early when the simulator stops. */
  sleep(ms: number): Promise<void>;
  resetCounters(): void;
  resetFaults(): void;
}
