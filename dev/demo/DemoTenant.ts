import { GraphSimulator } from '../simulator/GraphSimulator';
import { SimulatedTenant } from '../simulator/SimulatedTenant';

export interface DemoTenantOptions {
  users: number;
  /** Share of photos changed at the start of each run after the first, so a second run shows updates. */
  changeRate: number;
  port?: number;
  /** The simulator's bearer token (Graph and /_sim/ control API); random when absent. */
  token?: string;
}

/**
 * A Graph simulator with generated users and real photos, for `npm start` without a tenant.
 * Deterministic: the same users and photos every start; changes follow the run count.
 */
export class DemoTenant {
  private runs = 0;

  private constructor(
    readonly sim: GraphSimulator,
    private readonly changeRate: number,
  ) {}

  static async start(options: DemoTenantOptions): Promise<DemoTenant> {
    const tenant = new SimulatedTenant({ userCount: options.users, seed: 2026 });
    return new DemoTenant(
      await GraphSimulator.start({ tenant, port: options.port, token: options.token }),
      options.changeRate,
    );
  }

  /** Called when a run starts: from the second run on, some photos change, some are re-uploaded. */
  onRunStarted(): void {
    this.runs += 1;
    if (this.runs > 1 && this.changeRate > 0)
      this.sim.tenant.mutate({ changed: this.changeRate, seed: this.runs });
  }

  async stop(): Promise<void> {
    await this.sim.stop();
  }
}
