import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { GraphSimulator } from '../simulator/GraphSimulator';
import { SimulatedTenant } from '../simulator/SimulatedTenant';

export interface DemoTenantOptions {
  users: number;
  /** Share of photos changed at the start of each run after the first, so a second run shows updates. */
  changeRate: number;
  port?: number;
  /** The simulator's bearer token (Graph and /_sim/ control API); random when absent. */
  token?: string;
  /**
   * Where the run count is kept between starts (`npm start -- --data`): the tenant starts with the
   * changes of the runs before, so photos a kept store holds do not change back.
   */
  stateFile?: string;
}

const DemoStateSchema = z.object({ runs: z.number().int().min(0) });

/**
 * A Graph simulator with generated users and real photos, for `npm start` without a tenant.
 * Deterministic: the same users and photos every start; changes follow the run count.
 */
export class DemoTenant {
  private constructor(
    readonly sim: GraphSimulator,
    private runs: number,
    private readonly changeRate: number,
    private readonly stateFile: string | undefined,
    /** The demo's groups by name, for `photoGroupId` / `photoExcludeGroupId`. */
    readonly groups: Record<string, string>,
  ) {}

  static async start(options: DemoTenantOptions): Promise<DemoTenant> {
    const tenant = new SimulatedTenant({ userCount: options.users, seed: 2026 });
    const groups = addDemoGroups(tenant);
    const runs =
      options.stateFile !== undefined && existsSync(options.stateFile)
        ? DemoStateSchema.parse(JSON.parse(readFileSync(options.stateFile, 'utf8'))).runs
        : 0;
    for (let run = 1; run <= runs; run++) changeFor(tenant, run, options.changeRate);
    return new DemoTenant(
      await GraphSimulator.start({ tenant, port: options.port, token: options.token }),
      runs,
      options.changeRate,
      options.stateFile,
      groups,
    );
  }

  /** Called when a run starts: from the second run on, some photos change, some are re-uploaded. */
  onRunStarted(): void {
    this.runs += 1;
    changeFor(this.sim.tenant, this.runs, this.changeRate);
    if (this.stateFile !== undefined) writeFileSync(this.stateFile, JSON.stringify({ runs: this.runs }));
  }

  async stop(): Promise<void> {
    await this.sim.stop();
  }
}

/** The same changes for the same run, on every start: the seed is the run's number. */
function changeFor(tenant: SimulatedTenant, run: number, changeRate: number): void {
  if (run > 1 && changeRate > 0) tenant.mutate({ changed: changeRate, seed: run });
}

/**
 * A few groups to try scoping with (their ids are stable: derived from the names): Employees, the
 * first two thirds of the users, with Interns nested in it; Contractors, the rest; Photo opt-out,
 * a handful of employees and, nested, one intern.
 */
export function addDemoGroups(tenant: SimulatedTenant): Record<string, string> {
  const third = Math.floor(tenant.count / 3);
  const user = (index: number): string => tenant.userAt(Math.min(index, tenant.count - 1)).id;
  if (tenant.count === 0) return {};
  const interns = tenant.groups.add({
    displayName: 'Interns',
    users: [user(2 * third), user(2 * third + 1)],
  });
  const optOutInterns = tenant.groups.add({
    displayName: 'Photo opt-out (interns)',
    users: [user(2 * third)],
  });
  return {
    employees: tenant.groups.add({
      displayName: 'Employees',
      userRange: { from: 0, to: 2 * third },
      groups: [interns],
    }),
    interns,
    contractors: tenant.groups.add({
      displayName: 'Contractors',
      userRange: { from: 2 * third, to: tenant.count },
    }),
    photoOptOut: tenant.groups.add({
      displayName: 'Photo opt-out',
      users: [1, 5, 8].map(user),
      groups: [optOutInterns],
    }),
  };
}
